"""Processing through the real endpoint and the (eager) Celery task: rows land, bad rows
are reported with the row number the user sees, re-uploads are idempotent."""

from decimal import Decimal

import pytest
from django.urls import reverse

from renewals.models import CaseEvent, Customer, Policy, RenewalCase
from tests.accounts.factories import UserFactory
from tests.uploads.files import csv_bytes, row, rows, xlsx_bytes
from uploads.models import UploadBatch

pytestmark = pytest.mark.django_db


def _batch_id(response) -> int:
    assert response.status_code == 201, response.content
    return response.json()["data"]["batch_id"]


def test_clean_csv_lands_every_row(post_upload, batch_status, agents):
    batch_id = _batch_id(post_upload(csv_bytes(rows(25))))

    status = batch_status(batch_id)

    assert status["status"] == "completed"
    assert (status["total_records"], status["processed_records"]) == (25, 25)
    assert (status["successful_records"], status["failed_records"]) == (25, 0)
    assert status["errors"] == []
    assert Customer.objects.count() == 25
    assert Policy.objects.count() == 25
    assert RenewalCase.objects.filter(batch_id=batch_id).count() == 25


def test_clean_xlsx_lands_every_row(post_upload, batch_status, agents):
    batch_id = _batch_id(post_upload(xlsx_bytes(rows(12)), "renewals.xlsx"))

    status = batch_status(batch_id)

    assert status["status"] == "completed"
    assert status["successful_records"] == 12
    assert RenewalCase.objects.filter(batch_id=batch_id).count() == 12


def test_values_are_normalized(post_upload, agents):
    data = [
        row(
            1,
            customer_email="Asha@Example.COM",
            customer_phone="098765 43210",
            premium_amount="1,234.50",
            start_date="01/04/2025",
            policy_type="Auto",
        )
    ]

    post_upload(csv_bytes(data))

    policy = Policy.objects.select_related("customer").get()
    assert policy.customer.email == "asha@example.com"
    assert policy.customer.phone == "+919876543210"
    assert policy.premium_amount == Decimal("1234.50")
    assert policy.start_date.isoformat() == "2025-04-01"
    assert policy.policy_type == "auto"


BAD_ROWS = [
    ("start_date", {"start_date": "2025-13-40"}),
    ("start_date", {"start_date": "31/02/2025"}),
    ("end_date", {"end_date": "2025-01-01"}),  # before start
    ("premium_amount", {"premium_amount": "-10"}),
    ("premium_amount", {"premium_amount": "10.123"}),
    ("premium_amount", {"premium_amount": "ten"}),
    ("customer_email", {"customer_email": "not-an-email"}),
    ("customer_phone", {"customer_phone": "12"}),
    ("policy_type", {"policy_type": "spaceship"}),
    ("agent_email", {"agent_email": "nobody@example.com"}),
    ("policy_number", {"policy_number": ""}),
    ("policy_number", {"policy_number": "POL 1;DROP"}),
    ("customer_first_name", {"customer_first_name": ""}),
    ("branch_code", {"branch_code": "NOPE"}),
    ("priority", {"priority": "whenever"}),
]


@pytest.mark.parametrize(("column", "change"), BAD_ROWS)
def test_bad_row_is_reported_with_its_row_number(post_upload, batch_status, agents, column, change):
    data = rows(5)
    data[2] = row(3, **change)  # the third data row

    batch_id = _batch_id(post_upload(csv_bytes(data)))

    status = batch_status(batch_id)
    assert (status["status"], status["has_errors"]) == ("completed", True)
    assert (status["successful_records"], status["failed_records"]) == (4, 1)
    assert [(e["row"], e["column"]) for e in status["errors"]] == [(3, column)]
    landed = set(Policy.objects.values_list("policy_number", flat=True))
    assert landed == {f"POL-{n:06d}" for n in (1, 2, 4, 5)}


def test_inactive_agent_is_reported(post_upload, batch_status, agents, branch):
    inactive = UserFactory(role="agent", branch=branch, status="inactive")
    data = [row(1, agent_email=inactive.email)]

    status = batch_status(_batch_id(post_upload(csv_bytes(data))))

    assert status["errors"][0]["column"] == "agent_email"
    assert status["errors"][0]["error"] == "is not an active user"


def test_row_numbers_count_from_the_header_past_preamble_and_blank_rows(
    post_upload, batch_status, agents
):
    content = csv_bytes(
        [row(1), row(2), {}, row(4, premium_amount="-1")],
        preamble=[["Insurer export"], ["Generated 2026-01-01"]],
    )

    status = batch_status(_batch_id(post_upload(content)))

    assert status["total_records"] == 3
    assert status["errors"][0]["row"] == 4


def test_one_entry_per_problem_and_the_count_is_complete(
    post_upload, batch_status, agents, settings
):
    settings.UPLOAD_STATUS_ERRORS_LIMIT = 2
    data = [row(n, premium_amount="-1", customer_email="bad") for n in range(1, 4)]

    status = batch_status(_batch_id(post_upload(csv_bytes(data))))

    assert status["failed_records"] == 3
    assert status["error_count"] == 6
    assert len(status["errors"]) == 2
    assert status["errors_truncated"] is True


def test_duplicate_policy_number_in_one_file_is_reported(post_upload, batch_status, agents):
    data = [row(1), row(2), row(1, premium_amount="999")]

    status = batch_status(_batch_id(post_upload(csv_bytes(data))))

    assert status["errors"] == [
        {
            "row": 3,
            "column": "policy_number",
            "value": "POL-000001",
            "error": "appears more than once in the file (first at row 1)",
        }
    ]
    assert Policy.objects.get(policy_number="POL-000001").premium_amount == Decimal("1200.50")


def test_same_file_twice_creates_nothing_new(post_upload, batch_status, agents):
    content = csv_bytes(rows(10))
    post_upload(content)
    counts = (Customer.objects.count(), Policy.objects.count(), RenewalCase.objects.count())

    second = batch_status(_batch_id(post_upload(content)))

    assert second["status"] == "completed"
    assert (Customer.objects.count(), Policy.objects.count(), RenewalCase.objects.count()) == (
        counts
    )
    assert second["summary"]["policies_new"] == 0
    assert second["summary"]["cases_new"] == 0
    assert second["summary"]["policies_unchanged"] == 10


def test_overlapping_file_adds_only_new_rows_and_updates_premiums(
    post_upload, batch_status, agents
):
    post_upload(csv_bytes(rows(10)))
    overlap = rows(10, start=6)  # 6..10 known, 11..15 new
    overlap[0]["premium_amount"] = "1300.00"  # 10.0% more, below the approval threshold

    status = batch_status(_batch_id(post_upload(csv_bytes(overlap))))

    assert Policy.objects.count() == 15, status
    assert RenewalCase.objects.count() == 15
    assert Policy.objects.get(policy_number="POL-000006").premium_amount == Decimal("1300.00")
    assert status["summary"]["policies_new"] == 5
    assert status["summary"]["policies_changed"] == 1
    assert status["summary"]["policies_unchanged"] == 4
    assert status["summary"]["cases_new"] == 5


def test_a_new_term_of_a_known_policy_opens_a_new_case(post_upload, agents):
    post_upload(csv_bytes([row(1)]))
    renewal = row(1, start_date="2026-04-01", end_date="2027-03-31", renewal_date="2027-03-31")

    post_upload(csv_bytes([renewal]))

    assert RenewalCase.objects.filter(policy__policy_number="POL-000001").count() == 2


def test_closed_case_of_the_same_term_is_not_reopened_by_a_reupload(post_upload, agents):
    content = csv_bytes([row(1)])
    post_upload(content)
    RenewalCase.objects.update(status="renewed")

    post_upload(content)

    assert RenewalCase.objects.count() == 1


def test_agent_email_assigns_the_case(post_upload, agents):
    post_upload(csv_bytes([row(1, agent_email=agents[1].email.upper())]))

    case = RenewalCase.objects.get()
    assert case.assigned_to == agents[1]
    assert case.policy.agent == agents[1]


def test_cases_without_agent_are_shared_round_robin_in_the_branch(post_upload, agents):
    post_upload(csv_bytes(rows(9, branch_code="MUM")))

    per_agent = sorted(
        RenewalCase.objects.filter(assigned_to__in=agents)
        .values_list("assigned_to", flat=True)
        .order_by()
    )
    assert len(per_agent) == 9
    assert {per_agent.count(a.pk) for a in agents} == {3}


def test_cases_get_a_created_event_and_the_uploader_a_notification(post_upload, agents, uploader):
    from notifications.models import Notification

    batch_id = _batch_id(post_upload(csv_bytes(rows(3))))

    assert CaseEvent.objects.filter(kind="created", case__batch_id=batch_id).count() == 3
    notification = Notification.objects.get(user=uploader, type="batch")
    assert notification.data["batch_id"] == batch_id


def test_latin1_semicolon_file_with_aliased_headers(post_upload, batch_status, agents):
    header_aliases = {
        "policy_number": "Policy No.",
        "customer_code": "Customer ID",
        "customer_first_name": "First Name",
        "customer_last_name": "Last Name",
        "customer_email": "E-mail",
        "customer_phone": "Mobile",
        "policy_type": "POLICY TYPE",
        "premium_amount": "Premium",
        "start_date": "Start Date",
        "end_date": "Expiry Date",
        "renewal_date": "Renewal Due Date",
    }
    keys = list(header_aliases)
    data = [row(1, customer_first_name="José", premium_amount="1234,50")]
    content = csv_bytes(
        data, keys=keys, header=list(header_aliases.values()), delimiter=";", encoding="latin-1"
    )

    status = batch_status(_batch_id(post_upload(content)))

    assert status["status"] == "completed"
    policy = Policy.objects.select_related("customer").get()
    assert policy.customer.first_name == "José"
    assert policy.premium_amount == Decimal("1234.50")


def test_utf8_bom_file_is_read(post_upload, batch_status, agents):
    content = b"\xef\xbb\xbf" + csv_bytes([row(1, customer_last_name="Åström")])

    status = batch_status(_batch_id(post_upload(content)))

    assert status["status"] == "completed"
    assert Customer.objects.get().last_name == "Åström"


def test_errors_csv_returns_failed_rows_as_uploaded(post_upload, uploader_client, agents):
    data = rows(3)
    data[1] = row(2, premium_amount="-5", customer_email="bad")
    batch_id = _batch_id(post_upload(csv_bytes(data)))

    response = uploader_client.get(reverse("api:uploads:batch-errors-csv", kwargs={"pk": batch_id}))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[-1] == "error"
    assert len(lines) == 2
    assert lines[1].startswith("POL-000002,C000002,")
    assert "premium_amount: must not be negative" in lines[1]
    assert "customer_email: is not a valid email address" in lines[1]


def test_fixed_errors_csv_can_be_uploaded_again(post_upload, uploader_client, agents):
    data = rows(2)
    data[1] = row(2, premium_amount="-5")
    batch_id = _batch_id(post_upload(csv_bytes(data)))
    url = reverse("api:uploads:batch-errors-csv", kwargs={"pk": batch_id})
    errors_csv = b"".join(uploader_client.get(url).streaming_content).decode("utf-8")

    # "-5" comes back as "'-5" (formula-like cells are neutralized, core.spreadsheets).
    fixed = errors_csv.replace(",'-5,", ",500,").encode("utf-8")
    second = post_upload(fixed)

    assert second.json()["data"]["total_records"] == 1
    assert Policy.objects.count() == 2


def test_unreadable_stored_file_fails_the_batch(post_upload, batch_status, agents):
    from uploads.services import upload_batch_process

    batch_id = _batch_id(post_upload(csv_bytes(rows(2)), dry_run="false"))
    UploadBatch.objects.filter(pk=batch_id).update(
        status="processing", file_path="uploads/missing.csv", next_row=0
    )

    upload_batch_process(batch_id=batch_id)

    status = batch_status(batch_id)
    assert status["status"] == "failed"
    assert status["failure_reason"]
