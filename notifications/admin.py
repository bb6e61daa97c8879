"""Operations console: notifications, preferences, push subscriptions and deliveries.

Every change staff make here goes through the app's services (audited with the staff member
as actor, live events on commit): notifications and push subscriptions are read-only and
deleted through their services, preferences are saved through notification_preference_update.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from notifications.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    PushSubscription,
)
from notifications.services import notification_delete, notification_test_send
from notifications.services.settings import (
    notification_preference_update,
    push_subscription_delete,
)


def _send_test(modeladmin: admin.ModelAdmin, request: HttpRequest, user_ids: list[int]) -> None:
    count = notification_test_send(user_ids=user_ids, actor=request.user)
    modeladmin.message_user(
        request, f"Test notification sent to {count} user(s).", level=messages.SUCCESS
    )


class DeliveryInline(admin.TabularInline):
    model = NotificationDelivery
    extra = 0
    can_delete = False
    fields = [
        "channel",
        "subscription",
        "status",
        "digest",
        "scheduled_for",
        "sent_at",
        "attempts",
        "error",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "type", "priority", "title", "read_status", "created_at"]
    list_filter = ["type", "read_status", "priority", "created_at"]
    search_fields = ["title", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["read_status", "read_at", "created_at", "updated_at"]
    inlines = [DeliveryInline]
    actions = ["send_test_notification"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Notifications are created by notification_create (so they are pushed and delivered);
        # use the "send test notification" action to check delivery.
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # what a user was told is a record; delete it instead

    def delete_model(self, request: HttpRequest, obj: Notification) -> None:
        notification_delete(user=obj.user, notification_id=obj.pk, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        for notification in queryset.select_related("user"):
            self.delete_model(request, notification)

    @admin.action(description="Send a test notification to the recipients of the selected")
    def send_test_notification(self, request: HttpRequest, queryset: QuerySet) -> None:
        _send_test(self, request, list(queryset.values_list("user_id", flat=True).distinct()))


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_digest", "quiet_hours_enabled", "timezone", "updated_at"]
    list_filter = ["email_digest", "quiet_hours_enabled"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    actions = ["send_test_notification"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["user"] if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: NotificationPreference, form: ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        quiet_hours = {
            "enabled": data.get("quiet_hours_enabled", obj.quiet_hours_enabled),
            "start": data.get("quiet_hours_start"),
            "end": data.get("quiet_hours_end"),
            "timezone": data.get("timezone") or obj.timezone,
        }
        saved = notification_preference_update(
            user=obj.user,
            channels=data.get("channels") or None,
            quiet_hours=quiet_hours,
            email_digest=data.get("email_digest") or None,
            actor=request.user,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # a user without a row has the defaults; change the row instead

    @admin.action(description="Send a test notification to the selected users")
    def send_test_notification(self, request: HttpRequest, queryset: QuerySet) -> None:
        _send_test(self, request, list(queryset.values_list("user_id", flat=True)))


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "short_endpoint", "last_success_at", "created_at"]
    search_fields = ["user__email", "endpoint"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = [
        "endpoint",
        "p256dh",
        "expiration_time",
        "user_agent",
        "last_success_at",
    ]
    exclude = ["auth"]  # the subscription's secret: never shown
    actions = ["send_test_notification"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a browser registers itself (the endpoint is checked there)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: PushSubscription) -> None:
        push_subscription_delete(user=obj.user, endpoint=obj.endpoint, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PushSubscription]) -> None:
        for sub in queryset.select_related("user"):
            self.delete_model(request, sub)

    @admin.display(description="Endpoint")
    def short_endpoint(self, obj: PushSubscription) -> str:
        return obj.endpoint if len(obj.endpoint) <= 60 else obj.endpoint[:57] + "..."

    @admin.action(description="Send a test notification to the owners of the selected")
    def send_test_notification(self, request: HttpRequest, queryset: QuerySet) -> None:
        _send_test(self, request, list(queryset.values_list("user_id", flat=True).distinct()))


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "notification",
        "channel",
        "status",
        "digest",
        "attempts",
        "sent_at",
        "created_at",
    ]
    list_filter = ["channel", "status", "digest"]
    search_fields = ["notification__user__email", "notification__title"]
    list_select_related = ["notification"]
    raw_id_fields = ["notification", "subscription"]
    # Status is lifecycle: only tasks move it (STYLE §9).
    readonly_fields = [
        "notification", "channel", "subscription", "status", "digest", "scheduled_for",
        "claimed_at", "sent_at", "attempts", "error",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # deliveries go with their notification
