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


def _form_data(obj, **changes):
    """The change form's POST body for `obj` as it is, with `changes` applied."""
    import json

    from django.forms.models import model_to_dict

    data = {}
    for name, value in {**model_to_dict(obj), **changes}.items():
        if value is None:
            value = ""
        elif isinstance(value, dict | list):
            value = json.dumps(value)
        data[name] = value
    return data


def test_admin_customer_edit_goes_through_the_service_and_keeps_pii_out_of_audit(admin_web):
    from core.models import AuditEvent
    from renewals.models import Customer
    from tests.renewals.factories import CustomerFactory

    customer = CustomerFactory(email="old@example.com")
    url = f"/admin/renewals/customer/{customer.pk}/change/"

    response = admin_web.post(url, _form_data(customer, email="new@example.com", first_name="Z"))

    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).email == "new@example.com"
    event = AuditEvent.objects.get(action="customer.updated", object_id=str(customer.pk))
    assert event.changes == {"fields": ["email", "first_name"]}
    assert "new@example.com" not in str(event.changes)


def test_admin_policy_edit_is_audited_with_values(admin_web):
    from core.models import AuditEvent
    from tests.renewals.factories import PolicyFactory

    policy = PolicyFactory(grace_period_days=30)
    url = f"/admin/renewals/policy/{policy.pk}/change/"
    data = _form_data(policy, grace_period_days=45)
    data.update(
        {
            "renewal_cases-TOTAL_FORMS": "0",
            "renewal_cases-INITIAL_FORMS": "0",
            "renewal_cases-MIN_NUM_FORMS": "0",
            "renewal_cases-MAX_NUM_FORMS": "1000",
        }
    )

    response = admin_web.post(url, data)

    assert response.status_code == 302, response.content[:2000]
    policy.refresh_from_db()
    assert policy.grace_period_days == 45
    event = AuditEvent.objects.get(action="policy.updated", object_id=str(policy.pk))
    assert event.changes == {"grace_period_days": {"old": 30, "new": 45}}


def test_admin_case_edit_goes_through_case_update(admin_web):
    from decimal import Decimal

    case = RenewalCaseFactory(priority="low")
    url = f"/admin/renewals/renewalcase/{case.pk}/change/"
    data = {
        "priority": "urgent",
        "renewal_amount": "26000.00",
        "payment_method": case.payment_method,
        "notes": case.notes,
    }
    for prefix in ("events", "payments"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )

    response = admin_web.post(url, data)

    assert response.status_code == 302, response.content[:2000]
    case.refresh_from_db()
    assert case.priority == "urgent"
    assert case.renewal_amount == Decimal("26000.00")
    actions = set(case.events.values_list("action", flat=True))
    assert {"Priority changed to Urgent", "Renewal amount changed"} <= actions


def test_admin_ignore_unmatched_payment_is_audited(admin_web):
    from core.models import AuditEvent
    from renewals.models import UnmatchedPayment

    row = UnmatchedPayment.objects.create(reference="GW-X", amount=5)

    response = admin_web.post(
        "/admin/renewals/unmatchedpayment/", {"action": "ignore", "_selected_action": [row.pk]}
    )

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == "ignored"
    assert AuditEvent.objects.filter(action="payment.unmatched_ignored").count() == 1
