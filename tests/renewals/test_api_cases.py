import datetime as dt

import pytest
from django.utils import timezone

from core.models import AuditEvent
from renewals.models import CaseEvent, Policy, RenewalCase
from tests.accounts.factories import BranchFactory, UserFactory
from tests.renewals.factories import CustomerFactory, PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/cases"


def detail_url(case):
    return f"/api/v1/cases/{case.pk}"


def test_list_returns_spec_shape(manager_client, agent_user):
    case = RenewalCaseFactory(
        assigned_to=agent_user,
        policy__customer__first_name="John",
        policy__customer__last_name="Doe",
        status="in_progress",
        priority="high",
    )

    response = manager_client.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    item = body["data"]["cases"][0]
    assert item["id"] == case.pk
    assert item["case_number"] == case.case_number
    assert item["policy"]["policy_number"] == case.policy.policy_number
    assert item["policy"]["customer_name"] == "John Doe"
    assert item["policy"]["policy_type"] == "Auto"
    assert item["status"] == "in_progress"
    assert item["priority"] == "high"
    assert item["renewal_amount"] == 25000
    assert item["payment_status"] == "pending"
    assert item["assigned_to"] == {"id": agent_user.pk, "name": agent_user.full_name}
    assert item["created_at"].endswith("Z")
    assert body["data"]["pagination"] == {
        "current_page": 1,
        "total_pages": 1,
        "total_records": 1,
        "per_page": 10,
    }


def test_list_works_with_trailing_slash(manager_client):
    RenewalCaseFactory()

    assert manager_client.get("/api/v1/cases/").status_code == 200


def test_list_paginates_with_page_and_limit(manager_client):
    RenewalCaseFactory.create_batch(5)

    data = manager_client.get(LIST_URL, {"page": 2, "limit": 2}).json()["data"]

    assert len(data["cases"]) == 2
    assert data["pagination"]["total_pages"] == 3
    assert data["pagination"]["total_records"] == 5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("all", {"new", "in_progress", "renewed", "failed"}),
        ("new", {"new"}),
        ("in_progress", {"in_progress"}),
        ("renewed", {"renewed"}),
        ("failed", {"failed"}),
    ],
)
def test_status_filter(manager_client, value, expected):
    for status in ("new", "in_progress", "renewed", "failed"):
        RenewalCaseFactory(status=status)

    cases = manager_client.get(LIST_URL, {"status": value}).json()["data"]["cases"]

    assert {c["status"] for c in cases} == expected


def test_status_filter_rejects_unknown_value(manager_client):
    response = manager_client.get(LIST_URL, {"status": "bogus"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_priority_filter(manager_client):
    RenewalCaseFactory(priority="low")
    RenewalCaseFactory(priority="high")

    cases = manager_client.get(LIST_URL, {"priority": "high"}).json()["data"]["cases"]

    assert [c["priority"] for c in cases] == ["high"]


def test_assigned_to_filter(manager_client, agent_user, other_agent):
    mine = RenewalCaseFactory(assigned_to=agent_user)
    RenewalCaseFactory(assigned_to=other_agent)

    cases = manager_client.get(LIST_URL, {"assigned_to": agent_user.pk}).json()["data"]["cases"]

    assert [c["id"] for c in cases] == [mine.pk]


@pytest.mark.parametrize(
    # Email and phone are encrypted at rest and match only as a whole (issue 13): the phone
    # term is the stored number in another format, normalized to E.164 before matching.
    "term",
    ["REN-2031-000777", "POL-SEARCH-9", "Zebediah", "ZEB@corp.example", "+44 7700 900123"],
)
def test_search_matches_case_policy_and_customer_fields(manager_client, term):
    customer = CustomerFactory(
        first_name="Zebediah", last_name="Quill", email="zeb@corp.example", phone="+447700900123"
    )
    hit = RenewalCaseFactory(
        case_number="REN-2031-000777",
        policy=PolicyFactory(policy_number="POL-SEARCH-9", customer=customer),
    )
    RenewalCaseFactory()

    cases = manager_client.get(LIST_URL, {"search": term}).json()["data"]["cases"]

    assert [c["id"] for c in cases] == [hit.pk]


@pytest.mark.parametrize("term", ["+44-7700", "900123", "zeb@corp", "corp.example"])
def test_search_does_not_match_part_of_an_email_or_phone(manager_client, term):
    RenewalCaseFactory(
        policy__customer__email="zeb@corp.example", policy__customer__phone="+447700900123"
    )

    cases = manager_client.get(LIST_URL, {"search": term}).json()["data"]["cases"]

    assert cases == []


def test_search_phone_without_country_code_uses_the_default_region(manager_client, settings):
    settings.PHONE_DEFAULT_REGION = "IN"
    hit = RenewalCaseFactory(policy__customer__phone="+919812345678")
    RenewalCaseFactory(policy__customer__phone="+919812345679")

    cases = manager_client.get(LIST_URL, {"search": "098123 45678"}).json()["data"]["cases"]

    assert [c["id"] for c in cases] == [hit.pk]


def test_search_full_name(manager_client):
    hit = RenewalCaseFactory(
        policy__customer__first_name="Ada", policy__customer__last_name="Lovelace"
    )
    RenewalCaseFactory(policy__customer__first_name="Ada", policy__customer__last_name="Byron")

    cases = manager_client.get(LIST_URL, {"search": "ada lovelace"}).json()["data"]["cases"]

    assert [c["id"] for c in cases] == [hit.pk]


def test_sort_by_renewal_date_asc(manager_client):
    today = timezone.localdate()
    late = RenewalCaseFactory(renewal_date=today + dt.timedelta(days=20))
    early = RenewalCaseFactory(renewal_date=today + dt.timedelta(days=2))

    cases = manager_client.get(LIST_URL, {"sort_by": "renewal_date", "sort_order": "asc"}).json()[
        "data"
    ]["cases"]

    assert [c["id"] for c in cases] == [early.pk, late.pk]


def test_sort_by_priority_desc_puts_urgent_first(manager_client):
    low = RenewalCaseFactory(priority="low")
    urgent = RenewalCaseFactory(priority="urgent")
    medium = RenewalCaseFactory(priority="medium")

    cases = manager_client.get(LIST_URL, {"sort_by": "priority", "sort_order": "desc"}).json()[
        "data"
    ]["cases"]

    assert [c["id"] for c in cases] == [urgent.pk, medium.pk, low.pk]


def test_sort_by_created_at_default_desc(manager_client):
    first = RenewalCaseFactory()
    second = RenewalCaseFactory()

    cases = manager_client.get(LIST_URL).json()["data"]["cases"]

    assert [c["id"] for c in cases] == [second.pk, first.pk]


@pytest.mark.parametrize("limit", [5, 50])
def test_list_query_count_does_not_grow_with_page_size(
    manager_client, django_assert_max_num_queries, limit
):
    RenewalCaseFactory.create_batch(limit, assigned_to=UserFactory(role="agent"))

    with django_assert_max_num_queries(8):
        response = manager_client.get(LIST_URL, {"limit": limit})

    assert len(response.json()["data"]["cases"]) == limit


def test_agent_sees_only_own_cases(agent_client, agent_user, other_agent):
    mine = RenewalCaseFactory(assigned_to=agent_user)
    RenewalCaseFactory(assigned_to=other_agent)

    cases = agent_client.get(LIST_URL).json()["data"]["cases"]

    assert [c["id"] for c in cases] == [mine.pk]


def test_agent_gets_404_for_other_agents_case(agent_client, other_agent):
    theirs = RenewalCaseFactory(assigned_to=other_agent)

    assert agent_client.get(detail_url(theirs)).status_code == 404
    response = agent_client.put(detail_url(theirs), {"status": "in_progress"}, format="json")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "new"


def test_manager_with_branch_sees_only_branch_cases(client_for):
    branch = BranchFactory()
    manager = UserFactory(role="manager", branch=branch)
    inside = RenewalCaseFactory(policy__branch=branch)
    RenewalCaseFactory()

    cases = client_for(manager).get(LIST_URL).json()["data"]["cases"]

    assert [c["id"] for c in cases] == [inside.pk]


def test_viewer_cannot_write(viewer_client):
    case = RenewalCaseFactory()

    response = viewer_client.put(detail_url(case), {"status": "in_progress"}, format="json")

    assert response.status_code == 403


def test_anonymous_gets_401(api_client):
    assert api_client.get(LIST_URL).status_code == 401


def test_detail_shape(agent_client, agent_user):
    case = RenewalCaseFactory(assigned_to=agent_user, notes="Customer asked for a call")

    response = agent_client.get(detail_url(case))

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["policy"]["customer"]["id"] == case.policy.customer_id
    assert set(data["policy"]["customer"]) >= {"id", "name", "email", "phone"}
    assert data["policy"]["premium_amount"] == 25000
    assert data["assigned_to"]["email"] == agent_user.email
    assert data["communication_attempts"] == 0
    assert data["last_contact_date"] is None
    assert data["notes"] == "Customer asked for a call"
    assert data["timeline"] == []
    assert data["documents"] == []


def test_create_case_for_policy(manager_client, agent_user):
    policy = PolicyFactory()

    response = manager_client.post(
        LIST_URL,
        {"policy_id": policy.pk, "priority": "high", "assigned_to": agent_user.pk},
        format="json",
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["case_number"].startswith(f"REN-{timezone.localdate().year}-")
    assert data["status"] == "new"
    assert data["renewal_amount"] == 25000
    assert data["timeline"][0]["action"] == "Case created"
    assert AuditEvent.objects.filter(action="case.created", object_id=str(data["id"])).exists()


def test_create_second_open_case_for_same_term_is_409(manager_client):
    case = RenewalCaseFactory()

    response = manager_client.post(LIST_URL, {"policy_id": case.policy_id}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "case_duplicate_open"


def test_create_for_unknown_policy_is_400(manager_client):
    response = manager_client.post(LIST_URL, {"policy_id": 999999}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "policy_not_found"


def test_spec_put_renews_with_payment_from_new(agent_client, agent_case):
    response = agent_client.put(
        detail_url(agent_case),
        {
            "status": "renewed",
            "payment_status": "completed",
            "payment_method": "credit_card",
            "payment_date": "2024-01-20T15:30:00Z",
            "notes": "Payment completed successfully",
        },
        format="json",
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "renewed"
    assert data["payment_status"] == "completed"
    assert data["payment_method"] == "credit_card"
    assert data["payment_date"] == "2024-01-20T15:30:00Z"
    assert data["notes"] == "Payment completed successfully"
    assert data["amount_paid"] == 25000
    assert len(data["payments"]) == 1


@pytest.mark.parametrize("start", ["new", "in_progress", "pending_payment", "failed"])
def test_renewed_reachable_from_every_open_status(agent_client, agent_user, start):
    case = RenewalCaseFactory(assigned_to=agent_user, status=start)

    response = agent_client.put(detail_url(case), {"status": "renewed"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "renewed"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("new", "in_progress"),
        ("new", "pending_payment"),
        ("new", "failed"),
        ("in_progress", "pending_payment"),
        ("pending_payment", "in_progress"),
        ("failed", "in_progress"),
    ],
)
def test_legal_transitions(agent_client, agent_user, start, target):
    case = RenewalCaseFactory(assigned_to=agent_user, status=start)

    response = agent_client.put(detail_url(case), {"status": target}, format="json")

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == target
    event = case.events.get(kind=CaseEvent.Kind.STATUS_CHANGED)
    assert event.old_value == {"status": start}


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("in_progress", "new"),
        ("new", "lapsed"),
        ("renewed", "in_progress"),
        ("lost", "new"),
        ("lapsed", "renewed"),
        ("renewed", "lost"),
    ],
)
def test_illegal_transitions_are_409(agent_client, agent_user, start, target):
    extra = {"lost_reason": "price"} if start == "lost" else {}
    case = RenewalCaseFactory(assigned_to=agent_user, status=start, **extra)

    response = agent_client.put(detail_url(case), {"status": target}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "case_invalid_transition"
    case.refresh_from_db()
    assert case.status == start


def test_lost_requires_reason(agent_client, agent_case):
    response = agent_client.put(detail_url(agent_case), {"status": "lost"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "case_lost_reason_required"


def test_lost_other_requires_free_text(agent_client, agent_case):
    response = agent_client.put(
        detail_url(agent_case), {"status": "lost", "lost_reason": "other"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "case_lost_reason_required"


def test_lost_with_reason(agent_client, agent_case):
    response = agent_client.put(
        detail_url(agent_case), {"status": "lost", "lost_reason": "competitor"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["lost_reason"] == "competitor"


def test_lost_reason_outside_taxonomy_is_400(agent_client, agent_case):
    response = agent_client.put(
        detail_url(agent_case), {"status": "lost", "lost_reason": "weather"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_closed_case_refuses_priority_change(agent_client, agent_user):
    case = RenewalCaseFactory(assigned_to=agent_user, status="renewed")

    response = agent_client.put(detail_url(case), {"priority": "urgent"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "case_closed"


def test_status_change_writes_event_and_audit_together(agent_client, agent_case):
    agent_client.put(detail_url(agent_case), {"status": "in_progress"}, format="json")

    assert agent_case.events.filter(kind="status_changed").count() == 1
    assert AuditEvent.objects.filter(
        action="case.status_changed", object_id=str(agent_case.pk)
    ).exists()


def test_assign_by_manager_notifies_assignee(manager_client, agent_user):
    from notifications.models import Notification

    case = RenewalCaseFactory()

    response = manager_client.post(
        f"{detail_url(case)}/assign",
        {"assigned_to": agent_user.pk, "notes": "Assigning to senior agent for follow-up"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["assigned_to"]["id"] == agent_user.pk
    assert Notification.objects.filter(user=agent_user, type="assignment").count() == 1
    assert case.events.filter(kind="assigned").count() == 1


def test_assign_to_viewer_is_400(manager_client, viewer_user):
    case = RenewalCaseFactory()

    response = manager_client.post(
        f"{detail_url(case)}/assign", {"assigned_to": viewer_user.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "case_assignee_invalid"


def test_agent_cannot_reassign(agent_client, agent_case, other_agent):
    response = agent_client.post(
        f"{detail_url(agent_case)}/assign", {"assigned_to": other_agent.pk}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "case_assign_forbidden"


def test_escalate_sets_fields_priority_and_notifies(agent_client, agent_case, manager_user):
    from notifications.models import Notification

    response = agent_client.post(
        f"{detail_url(agent_case)}/escalate",
        {
            "escalated_to": manager_user.pk,
            "reason": "Customer requesting immediate attention",
            "priority": "urgent",
        },
        format="json",
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["priority"] == "urgent"
    assert data["escalated_to"]["id"] == manager_user.pk
    assert data["escalation_reason"] == "Customer requesting immediate attention"
    assert data["escalated_at"] is not None
    assert Notification.objects.filter(user=manager_user, type="escalation").exists()


def test_escalate_requires_reason(agent_client, agent_case, manager_user):
    response = agent_client.post(
        f"{detail_url(agent_case)}/escalate", {"escalated_to": manager_user.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_add_note(agent_client, agent_case, agent_user):
    response = agent_client.post(
        f"{detail_url(agent_case)}/notes", {"note": "Called, will pay Friday"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["details"] == "Called, will pay Friday"
    assert response.json()["data"]["user"] == agent_user.full_name
    agent_case.refresh_from_db()
    assert agent_case.notes == "Called, will pay Friday"


def test_contact_attempt_counts_and_starts_work(agent_client, agent_case):
    response = agent_client.post(
        f"{detail_url(agent_case)}/contact-attempts",
        {"channel": "phone", "outcome": "no_answer"},
        format="json",
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["communication_attempts"] == 1
    assert data["last_contact_date"] is not None
    assert data["status"] == "in_progress"


def test_contact_attempt_rejects_unknown_channel(agent_client, agent_case):
    response = agent_client.post(
        f"{detail_url(agent_case)}/contact-attempts",
        {"channel": "pigeon", "outcome": "reached"},
        format="json",
    )

    assert response.status_code == 400


def test_reopen_by_manager(manager_client):
    case = RenewalCaseFactory(status="lost", lost_reason="price")

    response = manager_client.post(
        f"{detail_url(case)}/reopen", {"reason": "Customer came back"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "in_progress"


def test_reopen_by_agent_is_403(agent_client, agent_user):
    case = RenewalCaseFactory(assigned_to=agent_user, status="renewed")

    response = agent_client.post(f"{detail_url(case)}/reopen", {"reason": "x"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "case_reopen_forbidden"


def test_reopen_open_case_is_409(manager_client):
    case = RenewalCaseFactory(status="in_progress")

    response = manager_client.post(f"{detail_url(case)}/reopen", {"reason": "x"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "case_invalid_transition"


def test_bulk_assign_ids_to_one_user(manager_client, agent_user):
    cases = RenewalCaseFactory.create_batch(3)

    response = manager_client.post(
        "/api/v1/cases/bulk-assign",
        {"case_ids": [c.pk for c in cases], "assigned_to": agent_user.pk},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["assigned"] == 3
    assert RenewalCase.objects.filter(assigned_to=agent_user).count() == 3


def test_bulk_assign_round_robin_by_filter(manager_client, agent_user, other_agent):
    RenewalCaseFactory.create_batch(4, priority="high")
    RenewalCaseFactory(priority="low")

    response = manager_client.post(
        "/api/v1/cases/bulk-assign",
        {"filter": {"priority": "high"}, "agent_ids": [agent_user.pk, other_agent.pk]},
        format="json",
    )

    assert response.status_code == 200
    assert RenewalCase.objects.filter(assigned_to=agent_user).count() == 2
    assert RenewalCase.objects.filter(assigned_to=other_agent).count() == 2
    assert RenewalCase.objects.filter(priority="low", assigned_to__isnull=True).count() == 1


def test_bulk_assign_needs_target(manager_client):
    response = manager_client.post("/api/v1/cases/bulk-assign", {"case_ids": [1]}, format="json")

    assert response.status_code == 400


def test_policy_type_label_for_unknown_type_is_value():
    from renewals.api.serializers import policy_type_label

    assert policy_type_label(Policy.PolicyType.LIFE) == "Life"
    assert policy_type_label("marine") == "marine"


def test_detail_lists_case_documents_with_download_url(agent_client, agent_case):
    from files.models import File, FileBlob

    blob = FileBlob.objects.create(
        sha256="a" * 64, storage_key="blobs/test-renewals-1", size=10, mime_type="application/pdf"
    )
    doc = File.objects.create(
        original_name="renewal_notice.pdf",
        file_name="renewal_notice.pdf",
        file_path=blob.storage_key,
        file_size=10,
        mime_type="application/pdf",
        entity_type="case",
        entity_id=agent_case.pk,
        sha256=blob.sha256,
        blob=blob,
    )

    documents = agent_client.get(detail_url(agent_case)).json()["data"]["documents"]

    assert documents == [
        {
            "id": doc.pk,
            "name": "renewal_notice.pdf",
            "url": f"/api/v1/files/{doc.pk}/download",
            "uploaded_at": documents[0]["uploaded_at"],
        }
    ]
    assert documents[0]["uploaded_at"]


def test_put_renewal_amount_is_saved_and_in_the_timeline(agent_client, agent_case):
    """Was a 500: the old and new amounts (Decimals) went into the event's JSON columns."""
    response = agent_client.put(detail_url(agent_case), {"renewal_amount": 26500.5}, format="json")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["renewal_amount"] == 26500.5
    entry = data["timeline"][-1]
    assert entry["action"] == "Renewal amount changed"
    assert entry["old_value"] == {"renewal_amount": "25000.00"}
    assert entry["new_value"] == {"renewal_amount": "26500.50"}
