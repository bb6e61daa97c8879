import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from renewals.models import Customer, Payment, Policy, RenewalCase
from tests.accounts.factories import BranchFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_code = factory.Sequence(lambda n: f"CUS-{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"+1-555-{n:04d}")
    communication_preferences = factory.LazyFunction(
        lambda: {"consent": {"email": True}, "preferred_channel": "email", "language": "en"}
    )


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    policy_number = factory.Sequence(lambda n: f"POL-{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    policy_type = Policy.PolicyType.AUTO
    premium_amount = Decimal("25000.00")
    start_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=335))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    renewal_date = factory.LazyAttribute(lambda o: o.end_date)
    grace_period_days = 30
    branch = factory.SubFactory(BranchFactory)


class RenewalCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RenewalCase

    case_number = factory.Sequence(lambda n: f"REN-2024-{n + 900000:06d}")
    policy = factory.SubFactory(PolicyFactory)
    status = RenewalCase.Status.NEW
    priority = RenewalCase.Priority.MEDIUM
    renewal_date = factory.LazyAttribute(lambda o: o.policy.renewal_date or o.policy.end_date)
    renewal_amount = factory.LazyAttribute(lambda o: o.policy.premium_amount)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    case = factory.SubFactory(RenewalCaseFactory)
    amount = Decimal("100.00")
    paid_at = factory.LazyFunction(timezone.now)
    source = Payment.Source.MANUAL
