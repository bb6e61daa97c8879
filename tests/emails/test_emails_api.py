"""GET/PUT /emails through real URLs: shape, filters, thread history, read marking, scope."""

import datetime

import pytest
from django.utils import timezone

from core.models import AuditEvent
from emails.models import Email
from emails.services import email_account_sync
from tests.accounts.factories import BranchFactory, UserFactory
from tests.emails.helpers import account_for, message
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/emails"


def _email(**fields) -> Email:
    n = Email.objects.count() + 1
    defaults = {
        "message_id": f"<m{n}-{timezone.now().timestamp()}@example.org>",
        "from_email": "customer@example.org",
        "to_email": "support@example.com",
        "subject": f"Subject {n}",
        "received_at": timezone.now(),
    }
    defaults.update(fields)
    defaults.setdefault("thread_id", defaults["message_id"])
    return Email.objects.create(**defaults)


def test_list_has_the_spec_shape(admin_client):
    email = _email(
        category="complaint",
        priority="high",
        sentiment_score="-0.65",
        sentiment_label="negative",
        ai_intent={"category": "complaint", "confidence": 94.5},
    )

    response = admin_client.get(URL)

    assert response.status_code == 200
    data = response.json()["data"]
    row = data["emails"][0]
    assert data["pagination"] == {
        "current_page": 1,
        "total_pages": 1,
        "total_records": 1,
        "per_page": 10,
    }
    assert row["id"] == email.pk
    assert row["message_id"] == email.message_id
    assert row["sentiment"] == {"score": -0.65, "label": "negative"}
    assert row["ai_intent"] == {"category": "complaint", "confidence": 94.5}
    assert row["read_status"] is False
    for key in ("from_email", "subject", "category", "priority", "status", "received_at"):
        assert key in row


def test_filters(admin_client, agent_user):
    today = timezone.now()
    complaint = _email(category="complaint", status="in_progress", assigned_to=agent_user)
    old = _email(
        subject="Renewal of my car policy", received_at=today - datetime.timedelta(days=10)
    )
    read = _email(read_status=True, sentiment_label="positive", from_email="vip@example.net")

    def ids(**params):
        response = admin_client.get(URL, params)
        assert response.status_code == 200, response.content
        return {e["id"] for e in response.json()["data"]["emails"]}

    assert ids(status="in_progress") == {complaint.pk}
    assert ids(status="all") == {complaint.pk, old.pk, read.pk}
    assert ids(category="complaint") == {complaint.pk}
    assert ids(assigned_to=agent_user.pk) == {complaint.pk}
    assert ids(assigned_to="unassigned") == {old.pk, read.pk}
    assert ids(date_to=(today - datetime.timedelta(days=5)).date().isoformat()) == {old.pk}
    assert ids(date_from=today.date().isoformat()) == {complaint.pk, read.pk}
    assert ids(search="car policy") == {old.pk}
    assert ids(search="vip@") == {read.pk}
    assert ids(read_status="true") == {read.pk}
    assert ids(sentiment_label="positive") == {read.pk}
    assert ids(thread_id=old.thread_id) == {old.pk}
    assert admin_client.get(URL, {"status": "lost"}).status_code == 400
    assert admin_client.get(URL, {"assigned_to": "x"}).status_code == 400


def test_detail_returns_the_thread_and_marks_read_once(admin_client):
    first = _email(subject="Question", thread_id="<t1@example.org>")
    reply = _email(subject="Re: Question", thread_id="<t1@example.org>", direction="outbound")
    _email(subject="Other thread")

    response = admin_client.get(f"{URL}/{first.pk}")
    again = admin_client.get(f"{URL}/{first.pk}")

    assert response.status_code == 200
    body = response.json()["data"]
    assert body["read_status"] is True
    assert [m["id"] for m in body["thread"]] == [reply.pk]
    assert "body_html" in body
    assert "attachments" in body
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="email.read").count() == 1


def test_put_changes_status_category_assignee_priority_and_is_audited(admin_client, agent_user):
    email = _email()

    response = admin_client.put(
        f"{URL}/{email.pk}",
        {
            "status": "in_progress",
            "category": "complaint",
            "assigned_to": agent_user.pk,
            "priority": "high",
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()["data"]
    assert (body["status"], body["category"], body["assigned_to"], body["priority"]) == (
        "in_progress",
        "complaint",
        agent_user.pk,
        "high",
    )
    audit = AuditEvent.objects.get(action="email.updated")
    assert audit.changes["status"] == {"from": "new", "to": "in_progress"}


@pytest.mark.parametrize(
    "payload",
    [{"status": "closed"}, {"category": "spam"}, {"priority": "whenever"}, {"assigned_to": 999999}],
)
def test_put_refuses_values_outside_the_contract(admin_client, payload):
    email = _email()

    response = admin_client.put(f"{URL}/{email.pk}", payload, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_agents_see_their_emails_and_their_cases_emails_only(client_for):
    branch = BranchFactory()
    agent_a = UserFactory(role="agent", branch=branch)
    agent_b = UserFactory(role="agent", branch=branch)
    case_a = RenewalCaseFactory(assigned_to=agent_a, policy__branch=branch)
    assigned = _email(assigned_to=agent_a)
    via_case = _email(case=case_a)
    theirs = _email(assigned_to=agent_b)
    client = client_for(agent_a)

    listed = {e["id"] for e in client.get(URL).json()["data"]["emails"]}

    assert listed == {assigned.pk, via_case.pk}
    assert client.get(f"{URL}/{theirs.pk}").status_code == 404
    assert (
        client.put(f"{URL}/{theirs.pk}", {"status": "resolved"}, format="json").status_code == 404
    )


def test_managers_see_their_branch(client_for):
    branch_a, branch_b = BranchFactory(), BranchFactory()
    manager = UserFactory(role="manager", branch=branch_a)
    agent_a = UserFactory(role="agent", branch=branch_a)
    agent_b = UserFactory(role="agent", branch=branch_b)
    mine = _email(assigned_to=agent_a)
    case_mail = _email(case=RenewalCaseFactory(assigned_to=agent_b, policy__branch=branch_a))
    other = _email(assigned_to=agent_b)

    listed = {e["id"] for e in client_for(manager).get(URL).json()["data"]["emails"]}

    assert listed == {mine.pk, case_mail.pk}
    assert other.pk not in listed


def test_viewers_have_no_email_module(viewer_client):
    assert viewer_client.get(URL).status_code == 403


def test_list_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    for _ in range(3):
        _email()
    with django_assert_max_num_queries(8) as few:
        admin_client.get(URL)
    for _ in range(20):
        _email(assigned_to=UserFactory(role="agent"))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(URL, {"limit": 50})

    assert len(response.json()["data"]["emails"]) == 23


@pytest.mark.service
def test_synced_replies_join_their_thread_and_case_numbers_link_the_case(mailbox, imap):
    case = RenewalCaseFactory()
    account = account_for(mailbox)
    first = message(subject=f"About {case.case_number}", message_id="<q1@example.org>")
    reply = message(
        subject="Re: something else",
        message_id="<q2@example.org>",
        headers={"In-Reply-To": "<q1@example.org>", "References": "<q1@example.org>"},
    )
    same_subject = message(subject=f"RE: About {case.case_number}", message_id="<q3@example.org>")
    policy_mail = message(
        subject="My policy",
        body=f"Policy {case.policy.policy_number} please",
        message_id="<p1@example.org>",
        sender="other@example.org",
    )
    unrelated = message(subject="Hello", message_id="<u1@example.org>", sender="x@example.org")
    for raw in (first, reply, same_subject, policy_mail, unrelated):
        imap.append("INBOX", raw)

    email_account_sync(account_id=account.pk)

    rows = {e.message_id: e for e in Email.objects.all()}
    assert rows["<q1@example.org>"].case_id == case.pk
    assert str(rows["<q1@example.org>"].case_confidence) == "0.95"
    assert rows["<q1@example.org>"].assigned_to_id == case.assigned_to_id
    assert rows["<q2@example.org>"].thread_id == rows["<q1@example.org>"].thread_id
    assert rows["<q2@example.org>"].case_id == case.pk
    assert rows["<q3@example.org>"].thread_id == rows["<q1@example.org>"].thread_id
    assert rows["<p1@example.org>"].case_id == case.pk
    assert str(rows["<p1@example.org>"].case_confidence) == "0.60"
    assert rows["<u1@example.org>"].case_id is None
    assert rows["<u1@example.org>"].thread_id == "<u1@example.org>"


def test_an_agent_may_hand_an_email_to_a_colleague(client_for):
    agent, colleague = UserFactory(role="agent"), UserFactory(role="agent")
    email = _email(assigned_to=agent)
    client = client_for(agent)

    response = client.put(f"{URL}/{email.pk}", {"assigned_to": colleague.pk}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["data"]["assigned_to"] == colleague.pk
    assert client.get(f"{URL}/{email.pk}").status_code == 404  # out of their scope now
