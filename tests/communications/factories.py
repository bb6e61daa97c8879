import factory
from django.utils import timezone

from communications.models import Message, Suppression
from tests.renewals.factories import CustomerFactory


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    customer = factory.SubFactory(CustomerFactory)
    channel = "sms"
    direction = Message.Direction.OUTBOUND
    status = Message.Status.SENT
    body = "Your renewal is due."


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suppression

    customer = factory.SubFactory(CustomerFactory)
    channel = "sms"
    reason = Suppression.Reason.STOP
    source = "test"
    at = factory.LazyFunction(timezone.now)
