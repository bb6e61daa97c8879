"""Notification endpoints. Every authenticated user works on their own notifications only."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intelipro.ws_auth import ws_ticket_issue
from notifications import selectors
from notifications.api.serializers import (
    MarkAllReadInputSerializer,
    MarkAllReadOutputSerializer,
    NotificationListQuerySerializer,
    NotificationSerializer,
    PreferencesSerializer,
    PushSubscriptionDeleteSerializer,
    PushSubscriptionInputSerializer,
    PushSubscriptionListSerializer,
    PushSubscriptionSerializer,
    UnreadCountSerializer,
    WebsocketTicketSerializer,
)
from notifications.errors import NotificationNotFoundError
from notifications.models import Notification, NotificationType
from notifications.preferences import channels_for
from notifications.services import (
    notification_delete,
    notification_mark_all_read,
    notification_mark_read,
)
from notifications.services.settings import (
    notification_preference_update,
    push_subscription_delete,
    push_subscription_upsert,
)

_TYPE_PARAM = OpenApiParameter(
    "type", str, enum=["all", *NotificationType.values], description="Filter by type."
)
_READ_PARAM = OpenApiParameter(
    "read_status", str, enum=["all", "read", "unread"], description="Filter by read state."
)


class NotificationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's inbox. Another user's notification id answers 404."""

    serializer_class = NotificationSerializer
    pagination_items_key = "notifications"
    # Only digits, so `mark-all-read`, `unread-count`, `preferences`... never match {id}.
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []  # filtering is validated by NotificationListQuerySerializer

    def get_queryset(self) -> QuerySet[Notification]:
        if self.action != "list":
            return selectors.notification_list(user_id=self.request.user.pk)
        query = NotificationListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.notification_list(user_id=self.request.user.pk, **query.validated_data)

    def get_object(self) -> Notification:
        notification = selectors.notification_get(
            user_id=self.request.user.pk, notification_id=int(self.kwargs["pk"])
        )
        if notification is None:
            raise NotificationNotFoundError(details={"id": int(self.kwargs["pk"])})
        return notification

    @extend_schema(
        summary="List my notifications",
        parameters=[_READ_PARAM, _TYPE_PARAM],
        responses=NotificationSerializer(many=True),
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One of my notifications", responses=NotificationSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(summary="Delete one of my notifications", responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        notification_delete(user=request.user, notification_id=int(kwargs["pk"]))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Mark a notification read", request=None, responses=NotificationSerializer
    )
    @action(detail=True, methods=["put", "post"], url_path="read")
    def read(self, request: Request, pk: str) -> Response:
        notification = notification_mark_read(user=request.user, notification_id=int(pk))
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="Mark all my notifications read",
        request=MarkAllReadInputSerializer,
        responses=MarkAllReadOutputSerializer,
    )
    @action(detail=False, methods=["put", "post"], url_path="mark-all-read")
    def mark_all_read(self, request: Request) -> Response:
        # No body means "all"; a JSON body that is not an object (null, a list) is a 400.
        payload = MarkAllReadInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        updated = notification_mark_all_read(user=request.user, type=payload.validated_data["type"])
        unread = selectors.notification_unread_count(user_id=request.user.pk)
        return Response({"updated_count": updated, "unread_count": unread})

    @extend_schema(summary="How many unread notifications I have", responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        by_type = selectors.notification_unread_counts_by_type(user_id=request.user.pk)
        return Response({"unread_count": sum(by_type.values()), "by_type": by_type})


def _preferences_data(user_id: int) -> dict[str, Any]:
    pref = selectors.notification_preference_get(user_id=user_id)
    return {
        "channels": channels_for(pref),
        "quiet_hours": {
            "enabled": bool(pref and pref.quiet_hours_enabled),
            "start": pref.quiet_hours_start.strftime("%H:%M")
            if pref and pref.quiet_hours_start
            else None,
            "end": pref.quiet_hours_end.strftime("%H:%M")
            if pref and pref.quiet_hours_end
            else None,
            "timezone": pref.timezone if pref else "UTC",
        },
        "email_digest": pref.email_digest if pref else "off",
        "push_available": bool(settings.USE_WEB_PUSH),
    }


class NotificationPreferencesView(APIView):
    """Per type x channel switches, quiet hours in a time zone, email digest mode."""

    @extend_schema(summary="My notification preferences", responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response(_preferences_data(request.user.pk))

    @extend_schema(
        summary="Change my notification preferences (send only what changes)",
        request=PreferencesSerializer,
        responses=PreferencesSerializer,
    )
    def put(self, request: Request) -> Response:
        instance = selectors.notification_preference_get(user_id=request.user.pk)
        payload = PreferencesSerializer(instance=instance, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        notification_preference_update(user=request.user, **payload.validated_data)
        return Response(_preferences_data(request.user.pk))

    patch = put


class PushSubscriptionView(APIView):
    """Web push subscriptions of the caller's browsers (PushSubscription.toJSON())."""

    @extend_schema(
        summary="My push subscriptions and the VAPID public key to subscribe with",
        responses=PushSubscriptionListSerializer,
    )
    def get(self, request: Request) -> Response:
        subs = selectors.push_subscription_list(user_id=request.user.pk)
        return Response(
            {
                "vapid_public_key": settings.VAPID_PUBLIC_KEY,
                "subscriptions": PushSubscriptionSerializer(subs, many=True).data,
            }
        )

    @extend_schema(
        summary="Register this browser for web push",
        request=PushSubscriptionInputSerializer,
        responses={201: PushSubscriptionSerializer, 200: PushSubscriptionSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = PushSubscriptionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        expires_ms = data.get("expirationTime")
        sub, created = push_subscription_upsert(
            user=request.user,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
            expiration_time=dt.datetime.fromtimestamp(expires_ms / 1000, tz=dt.UTC)
            if expires_ms
            else None,
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(
            PushSubscriptionSerializer(sub).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Unregister a browser from web push",
        request=PushSubscriptionDeleteSerializer,
        parameters=[OpenApiParameter("endpoint", str, description="Alternative to the JSON body.")],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request) -> Response:
        source = request.data if request.data else request.query_params
        payload = PushSubscriptionDeleteSerializer(data=source)
        payload.is_valid(raise_exception=True)
        push_subscription_delete(user=request.user, endpoint=payload.validated_data["endpoint"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebsocketTicketView(APIView):
    """A single-use ticket to open the notifications websocket with (`?ticket=`)."""

    @extend_schema(
        summary="A single-use ticket for the notifications websocket",
        tags=["notifications"],
        description=(
            "The recommended way for browsers to authenticate the websocket: ask for a ticket "
            "with the bearer token, then open `/ws/notifications/?ticket=<ticket>` within "
            "`expires_in` seconds. A ticket works once, only for the caller and the session of "
            "the token that asked for it, and the socket closes with 4401 when that token "
            "expires. The server keeps only its hash. `?token=<access token>` still works but "
            "is discouraged: URLs end up in logs and proxies."
        ),
        request=None,
        responses={
            200: WebsocketTicketSerializer,
            503: OpenApiResponse(description="The ticket store is unreachable."),
        },
    )
    def post(self, request: Request) -> Response:
        exp = request.auth.get("exp") if request.auth is not None else None
        ticket = ws_ticket_issue(
            user_id=request.user.pk,
            session_id=getattr(request.user, "token_session_id", None),
            expires_at=int(exp) if exp is not None else None,
        )
        return Response(
            WebsocketTicketSerializer(
                {"ticket": ticket, "expires_in": settings.WS_TICKET_TTL_SECONDS}
            ).data
        )
