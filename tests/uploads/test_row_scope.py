"""Issue 13 hole 1 (rows): a batch row may only touch what its uploader may see.

A manager limited to one branch uploaded a row with another branch's policy number, their
own branch code and a new customer email: the policy moved to their branch and the
customer's email was overwritten. Now such a row is refused as a row error with code
`out_of_scope` and nothing of it changes; and moving a policy to another branch or agent,
or changing a customer's contact details, holds the batch for maker-checker approval like a
big premium change.
"""

import pytest

from renewals.models import Customer, Policy, RenewalCase
from tests.accounts.factories import BranchFactory, UserFactory
from tests.uploads.files import csv_bytes, row, rows

pytestmark = pytest.mark.django_db


def _batch_id(response) -> int:
    assert response.status_code == 201, response.content
    return response.json()["data"]["batch_id"]


@pytest.fixture
def other_branch(db):
    return BranchFactory(code="DEL")


@pytest.fixture
def admin_upload(post_upload, client_for, batch_status):
    """Upload as an admin (no scope limit) and return the batch status."""
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client = client_for(admin)

    def run(content: bytes, **fields) -> dict:
        return batch_status(_batch_id(post_upload(content, client=client, **fields)), client)

    return run


@pytest.fixture
def other_branch_book(admin_upload, other_branch, agents):
    """Policy POL-000900 of customer C000900, both only in branch DEL."""
    status = admin_upload(csv_bytes([row(900, branch_code="DEL")]))
    assert (status["status"], status["failed_records"]) == ("completed", 0)
    return Policy.objects.get(policy_number="POL-000900")


def _refusals(status: dict) -> list[tuple]:
    return [(e["row"], e["column"], e.get("code")) for e in status["errors"]]


def test_a_row_with_another_branchs_policy_is_refused_and_changes_nothing(
    post_upload, batch_status, other_branch_book, branch
):
    before = Customer.objects.get(customer_code="C000900")
    data = rows(2)
    # The reproduced attack: the other branch's policy, our branch code, a new email.
    data.append(row(900, branch_code="MUM", customer_email="attacker@example.com"))

    status = batch_status(_batch_id(post_upload(csv_bytes(data))))

    assert (status["status"], status["has_errors"]) == ("completed", True)
    assert (status["successful_records"], status["failed_records"]) == (2, 1)
    assert _refusals(status) == [(3, "policy_number", "out_of_scope")]
    policy = Policy.objects.get(policy_number="POL-000900")
    assert policy.branch_id == other_branch_book.branch_id
    assert Customer.objects.get(customer_code="C000900").email == before.email
    assert RenewalCase.objects.filter(policy=policy).count() == 1  # the admin's, not a new one
    assert Policy.objects.filter(branch=branch).count() == 2


def test_a_row_naming_another_branchs_customer_is_refused(
    post_upload, batch_status, other_branch_book
):
    data = [row(1, customer_code="C000900", customer_email="attacker@example.com")]

    status = batch_status(_batch_id(post_upload(csv_bytes(data))))

    assert _refusals(status) == [(1, "customer_code", "out_of_scope")]
    assert not Policy.objects.filter(policy_number="POL-000001").exists()
    assert Customer.objects.get(customer_code="C000900").email == "asha900@example.com"


def test_a_row_naming_a_branch_outside_the_uploaders_is_refused(
    post_upload, batch_status, other_branch, agents
):
    status = batch_status(_batch_id(post_upload(csv_bytes([row(1, branch_code="DEL")]))))

    assert _refusals(status) == [(1, "branch_code", "out_of_scope")]
    assert status["errors"][0]["value"] == "DEL"
    assert not Policy.objects.exists()
    assert not Customer.objects.exists()


def test_a_dry_run_reports_the_refusal_too(post_upload, batch_status, other_branch_book):
    data = [row(900, branch_code="MUM")]

    status = batch_status(_batch_id(post_upload(csv_bytes(data), dry_run="true")))

    assert _refusals(status) == [(1, "policy_number", "out_of_scope")]


def test_the_errors_csv_names_the_code(
    post_upload, uploader_client, other_branch_book, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    batch_id = _batch_id(post_upload(csv_bytes([row(900, branch_code="MUM")])))

    response = uploader_client.get(reverse("api:uploads:batch-errors-csv", kwargs={"pk": batch_id}))

    assert response.status_code == 200
    assert "(out_of_scope)" in b"".join(response.streaming_content).decode()


def test_rows_within_the_uploaders_branch_still_update(post_upload, batch_status, agents):
    post_upload(csv_bytes(rows(2)))
    data = rows(2)
    data[0]["premium_amount"] = "1250.00"

    status = batch_status(_batch_id(post_upload(csv_bytes(data))))

    assert (status["status"], status["failed_records"]) == ("completed", 0)
    assert Policy.objects.get(policy_number="POL-000001").premium_amount == 1250


# --- sensitive changes count towards maker-checker approval --------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"branch_code": "DEL"}, "branch_change"),
        ({"agent_email": "second"}, "agent_change"),
        ({"customer_email": "new@example.com"}, "contact_change"),
        ({"customer_phone": "+91 91234 56789"}, "contact_change"),
    ],
)
def test_sensitive_changes_wait_for_approval_without_writing(
    admin_upload, agents, other_branch, change, reason
):
    first, second = agents[0], agents[1]
    admin_upload(csv_bytes([row(1, branch_code="MUM", agent_email=first.email)]))
    cells = {"branch_code": "MUM", "agent_email": first.email, **change}
    if cells["agent_email"] == "second":
        cells["agent_email"] = second.email

    status = admin_upload(csv_bytes([row(1, **cells)]))

    assert status["status"] == "awaiting_approval"
    assert [r["code"] for r in status["approval"]["reasons"]] == [reason]
    policy = Policy.objects.select_related("customer").get(policy_number="POL-000001")
    assert (policy.branch.code, policy.agent_id) == ("MUM", first.pk)
    assert (policy.customer.email, policy.customer.phone) == ("asha1@example.com", "+919876543210")


def test_sensitive_change_approval_can_be_turned_off(admin_upload, agents, settings):
    settings.UPLOAD_APPROVAL_SENSITIVE_CHANGES = False
    admin_upload(csv_bytes([row(1)]))

    status = admin_upload(csv_bytes([row(1, customer_email="new@example.com")]))

    assert status["status"] == "completed"
    assert Customer.objects.get(customer_code="C000001").email == "new@example.com"


def test_first_assignment_and_unchanged_rows_need_no_approval(admin_upload, agents):
    admin_upload(csv_bytes([row(1, branch_code="MUM")]))

    status = admin_upload(csv_bytes([row(1, branch_code="MUM")]))

    assert status["status"] == "completed"


def test_scope_checks_cost_no_query_per_row(post_upload, agents, settings, other_branch_book):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.UPLOAD_CHUNK_SIZE = 100

    def queries(data: list) -> int:
        with CaptureQueriesContext(connection) as captured:
            post_upload(csv_bytes(data))
        return len(captured.captured_queries)

    queries([row(1)])  # warm-up (first request of the client)
    small = queries([*rows(5, start=10), row(900, branch_code="MUM")])
    # 30 rows: within SQLite's 999 parameters per bulk INSERT, which would split it.
    big = queries([*rows(30, start=100), row(900, branch_code="MUM")])

    assert big == small
