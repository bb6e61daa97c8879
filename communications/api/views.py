"""Communications endpoints: GET/PUT /customers/{id}/preferences, POST /sms/send,
POST /webhooks/twilio/status."""

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from twilio.request_validator import RequestValidator

from accounts import modules
from accounts.permissions import ModulePermission
from communications.api import serializers as s
from communications.errors import (
    MessageRefusedError,
    PhoneNumberInvalidError,
    TwilioSignatureInvalidError,
)
from communications.phones import phone_e164
from communications.services import message_send, message_status_record
from renewals.models import Customer
from renewals.selectors import case_list, customer_list
from renewals.services import customer_communication_preferences_update

if TYPE_CHECKING:
    from accounts.models import User


def _user(request: Request) -> "User":
    # IsAuthenticated and ModulePermission ran first: never an anonymous user here.
    return cast("User", request.user)


def _visible_customer(request: Request, pk: str) -> Customer:
    """The customer if the caller may see them (agents: customers of their cases), else 404."""
    try:
        return customer_list(user=_user(request)).get(pk=int(pk))
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


@extend_schema(tags=["communications"])
class CustomerPreferencesView(APIView):
    """A customer's communication preferences (module `messaging`; scoped like customers)."""

    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.MESSAGING

    @extend_schema(
        summary="Read a customer's communication preferences",
        responses=s.CommunicationPreferencesSerializer,
    )
    def get(self, request: Request, pk: str) -> Response:
        customer = _visible_customer(request, pk)
        return Response(
            s.CommunicationPreferencesSerializer(customer.communication_preferences).data
        )

    @extend_schema(
        summary="Change a customer's communication preferences",
        description=(
            "Keys left out keep their value. `timezone` is an IANA name; `quiet_hours` are "
            "local HH:MM times (the window may span midnight). Turning a channel's consent on "
            "needs `consent_evidence` for it. Audited. 400 `validation_error`."
        ),
        request=s.CommunicationPreferencesSerializer,
        responses=s.CommunicationPreferencesSerializer,
    )
    def put(self, request: Request, pk: str) -> Response:
        customer = _visible_customer(request, pk)
        payload = s.CommunicationPreferencesSerializer(
            data=request.data, context={"stored": customer.communication_preferences}
        )
        payload.is_valid(raise_exception=True)
        customer = customer_communication_preferences_update(
            actor=_user(request), customer_id=customer.pk, preferences=payload.validated_data
        )
        return Response(
            s.CommunicationPreferencesSerializer(customer.communication_preferences).data
        )


@extend_schema(tags=["communications"])
class SmsSendView(APIView):
    """An agent texts a customer through the send gate (module `messaging`)."""

    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.MESSAGING

    @extend_schema(
        summary="Send an SMS to a customer",
        description=(
            "Through the send gate: 201 with the message (`queued`; `scheduled_for` set when "
            "quiet hours defer it). 400 `invalid_phone_number` when the customer's number is "
            "not valid; 409 with the refusal reason as the code (`consent_missing`, "
            "`suppressed`, `daily_cap_reached`, `channel_not_configured`, `no_address`), the "
            "refused message's id in `details.message_id`. Customers and cases out of the "
            "caller's scope: 404."
        ),
        request=s.SmsSendInputSerializer,
        responses={201: s.CustomerMessageSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = s.SmsSendInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        customer = _visible_customer(request, str(data["customer_id"]))
        case_id = data.get("case_id")
        if case_id is not None and not (
            case_list(user=_user(request)).filter(pk=case_id, policy__customer=customer).exists()
        ):
            raise Http404
        if customer.phone and phone_e164(customer.phone) is None:
            raise PhoneNumberInvalidError(details={"customer_id": customer.pk})
        message = message_send(
            customer_id=customer.pk,
            channel="sms",
            body=data["message"],
            case_id=case_id,
            actor=_user(request),
        )
        if message.refusal_reason:
            raise MessageRefusedError(
                code=message.refusal_reason, details={"message_id": message.pk}
            )
        return Response(s.CustomerMessageSerializer(message).data, status=201)


def _signed_url(request: Request) -> str:
    """The URL Twilio called: PUBLIC_BASE_URL + path behind a proxy, else the request's own."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


@extend_schema(tags=["communications"])
class TwilioStatusWebhookView(APIView):
    """Twilio's message status callbacks (no user auth; Twilio's signature instead)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    parser_classes = [FormParser]

    @extend_schema(
        summary="Twilio message status callback",
        description=(
            "Form-encoded `MessageSid`, `MessageStatus`, `ErrorCode`, signed by Twilio in "
            "`X-Twilio-Signature` (HMAC-SHA1 of the URL and the sorted parameters, keyed "
            "with TWILIO_AUTH_TOKEN), checked with the SDK's RequestValidator; missing or "
            "wrong → 401 `webhook_signature_invalid`, nothing changed. Status updates are "
            "idempotent and never move a message back. 204."
        ),
        request=None,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        params = {key: request.POST.get(key, "") for key in request.POST}
        signature = request.headers.get("X-Twilio-Signature", "")
        token = settings.TWILIO_AUTH_TOKEN
        if not (
            token
            and signature
            and RequestValidator(token).validate(_signed_url(request), params, signature)
        ):
            raise TwilioSignatureInvalidError
        message_status_record(
            provider_message_id=params.get("MessageSid", ""),
            provider_status=params.get("MessageStatus", ""),
            error_code=params.get("ErrorCode", ""),
        )
        return Response(status=204)
