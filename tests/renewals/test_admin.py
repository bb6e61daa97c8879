import pytest

from renewals.models import CaseEvent
from tests.renewals.factories import CustomerFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/admin/renewals/renewalcase/",
        "/admin/renewals/policy/",
        "/admin/renewals/customer/",
        "/admin/renewals/payment/",
        "/admin/renewals/unmatchedpayment/",
        "/admin/renewals/casereminder/",
    ],
)
def test_admin_changelists_load(admin_web, path):
    RenewalCaseFactory()

    assert admin_web.get(path).status_code == 200


def test_admin_case_change_page_shows_timeline(admin_web):
    case = RenewalCaseFactory()

    assert admin_web.get(f"/admin/renewals/renewalcase/{case.pk}/change/").status_code == 200


def test_admin_mark_lost_action_calls_service(admin_web):
    case = RenewalCaseFactory()

    response = admin_web.post(
        "/admin/renewals/renewalcase/",
        {
            "action": "mark_lost",
            "_selected_action": [case.pk],
            "apply": "1",
            "lost_reason": "price",
            "lost_reason_detail": "",
        },
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "lost"
    assert case.lost_reason == "price"
    assert case.events.filter(kind=CaseEvent.Kind.STATUS_CHANGED).count() == 1


def test_admin_assign_action_shows_form_first(admin_web):
    case = RenewalCaseFactory()

    response = admin_web.post(
        "/admin/renewals/renewalcase/", {"action": "assign_to", "_selected_action": [case.pk]}
    )

    assert response.status_code == 200
    assert b"user_id" in response.content


def test_admin_customer_search_finds_an_exact_email_not_a_part_of_it(admin_web):
    # Email and phone are encrypted at rest: exact (case-insensitive) match only (issue 13).
    hit = CustomerFactory(first_name="Zed", email="meera.iyer@example.com")
    CustomerFactory(first_name="Other", email="other@example.com")

    exact = admin_web.get("/admin/renewals/customer/", {"q": "MEERA.IYER@example.com"})
    part = admin_web.get("/admin/renewals/customer/", {"q": "iyer@example"})

    assert list(exact.context["cl"].result_list) == [hit]
    assert list(part.context["cl"].result_list) == []
