"""Error codes of the notifications app (API contracts: never rename one)."""

from intelipro.api.errors import DomainError


class NotificationNotFoundError(DomainError):
    code = "not_found"
    status_code = 404
    message = "Notification not found."


class NotificationInvalidTypeError(DomainError):
    code = "notification_invalid_type"
    status_code = 400
    message = "Unknown notification type."


class NotificationInvalidPriorityError(DomainError):
    code = "notification_invalid_priority"
    status_code = 400
    message = "Unknown notification priority."


class PushSubscriptionNotFoundError(DomainError):
    code = "not_found"
    status_code = 404
    message = "Push subscription not found."
