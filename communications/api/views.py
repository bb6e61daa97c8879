"""Communications endpoints: GET/PUT /customers/{id}/preferences."""

from typing import TYPE_CHECKING, cast

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import modules
from accounts.permissions import ModulePermission
from communications.api import serializers as s
from renewals.models import Customer
from renewals.selectors import customer_list
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
