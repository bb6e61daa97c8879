import io

import pytest
from django.core.management import call_command

from renewals.models import CaseEvent, Customer, Payment, RenewalCase

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_consistent_data():
    out = io.StringIO()

    call_command("seed_demo", "--customers", "20", "--cases", "40", "--seed", "7", stdout=out)

    assert Customer.objects.count() == 20
    assert RenewalCase.objects.count() == 40
    assert CaseEvent.objects.filter(kind="created").count() == 40
    assert "password" in out.getvalue()
    renewed = RenewalCase.objects.filter(status="renewed")
    assert all(c.amount_paid == c.renewal_amount for c in renewed)


def test_seed_demo_if_empty_loads_nothing_the_second_time():
    call_command("seed_demo", "--customers", "5", "--cases", "5", stdout=io.StringIO())

    call_command("seed_demo", "--if-empty", stdout=io.StringIO())

    assert Customer.objects.count() == 5


def test_seed_demo_same_seed_same_data():
    call_command(
        "seed_demo", "--customers", "5", "--cases", "10", "--seed", "3", stdout=io.StringIO()
    )
    first = list(RenewalCase.objects.order_by("id").values_list("status", "priority"))
    Payment.objects.all().delete()
    RenewalCase.objects.all().delete()

    call_command(
        "seed_demo", "--customers", "5", "--cases", "10", "--seed", "3", stdout=io.StringIO()
    )

    assert list(RenewalCase.objects.order_by("id").values_list("status", "priority")) == first


def test_seed_demo_puts_no_contact_or_payment_in_the_future():
    from django.utils import timezone

    call_command(
        "seed_demo", "--customers", "30", "--cases", "60", "--seed", "11", stdout=io.StringIO()
    )
    now = timezone.now()

    assert not RenewalCase.objects.filter(last_contact_date__gt=now).exists()
    assert not RenewalCase.objects.filter(payment_date__gt=now).exists()
