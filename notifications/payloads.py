"""JSON shapes of notifications and live frames, shared by services, consumers and the API.

Lives outside `api/` so services and consumers never import the API layer.
"""

import json
from typing import Any

from core.formats import iso_datetime
from notifications.models import Notification

# Channel-layer message type handled by NotificationConsumer.client_events: one layer message
# carries every client frame of one change (e.g. notification.created + unread_count), which
# halves layer traffic and keeps the two frames in order.
CLIENT_EVENTS = "client.events"


def user_group(user_id: int) -> str:
    """The channel-layer group every websocket of one user joins."""
    return f"user.{user_id}"


def notification_payload(n: Notification) -> dict[str, Any]:
    """The JSON shape of a notification, identical over REST and websocket. Hand-built: a
    ModelSerializer rebuilds its fields per instance (~1.7 ms), which dominated broadcasts to
    1,000 users."""
    return {
        "id": n.pk,
        "user_id": n.user_id,
        "type": n.type,
        "title": n.title,
        "message": n.message,
        "data": n.data,
        "priority": n.priority,
        "read_status": n.read_status,
        "read_at": iso_datetime(n.read_at),
        "expires_at": iso_datetime(n.expires_at),
        "created_at": iso_datetime(n.created_at),
    }


def client_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The layer message for some client frames, JSON-encoded here, once, by the sender: the
    consumer writes the texts as they are (a broadcast's 2,000 frames are not encoded on the
    server's event loop, and the layer carries strings instead of nested dicts)."""
    return {"type": CLIENT_EVENTS, "texts": [json.dumps(event) for event in events]}
