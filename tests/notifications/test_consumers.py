"""The notifications websocket through the real ASGI stack (origin check, JWT middleware,
routing) with channels' WebsocketCommunicator; the Redis channel layer when REDIS_URL is set."""

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tokens import access_token_for
from intelipro.asgi import application
from notifications.models import Notification
from notifications.services import notification_create, notification_event_send
from tests.accounts.factories import UserFactory
from tests.notifications.factories import NotificationFactory, NotificationPreferenceFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
def _fresh_layer():
    """A new channel-layer instance per test: each test runs on its own event loop, and
    channels_redis binds locks and pools to the loop that first used them."""
    channel_layers.backends.pop("default", None)
    yield
    channel_layers.backends.pop("default", None)


@database_sync_to_async
def make_user(**kwargs):
    return UserFactory(**kwargs)


@database_sync_to_async
def token_for(user) -> str:
    return str(access_token_for(user))


async def connect(user=None, *, token: str | None = None, subprotocol: bool = False):
    """Open a socket; returns the communicator after the initial unread_count frame."""
    if token is None and user is not None:
        token = await token_for(user)
    path = "/ws/notifications/"
    protocols = None
    if token and subprotocol:
        protocols = ["bearer", token]
    elif token:
        path += f"?token={token}"
    communicator = WebsocketCommunicator(
        application, path, headers=[ORIGIN], subprotocols=protocols
    )
    connected, accepted = await communicator.connect()
    assert connected
    communicator.accepted_subprotocol = accepted
    return communicator


async def test_connect_with_query_token_gets_unread_count(agent_user_async):
    await database_sync_to_async(NotificationFactory)(user=agent_user_async)

    ws = await connect(agent_user_async)

    assert await ws.receive_json_from(timeout=3) == {
        "type": "unread_count",
        "data": {"unread_count": 1},
    }
    await ws.disconnect()


async def test_connect_with_bearer_subprotocol_is_accepted_with_bearer(agent_user_async):
    ws = await connect(agent_user_async, subprotocol=True)

    assert ws.accepted_subprotocol == "bearer"
    assert (await ws.receive_json_from(timeout=3))["type"] == "unread_count"
    await ws.disconnect()


async def _assert_closed_4401(ws) -> None:
    message = await ws.receive_output(timeout=3)
    assert message == {"type": "websocket.close", "code": 4401}


async def test_connect_without_token_closes_4401():
    ws = await connect(None)

    await _assert_closed_4401(ws)


async def test_connect_with_garbage_token_closes_4401():
    ws = await connect(None, token="not-a-jwt")

    await _assert_closed_4401(ws)


async def test_connect_with_expired_token_closes_4401(agent_user_async):
    token = AccessToken.for_user(agent_user_async)
    token.set_exp(from_time=timezone.now() - dt.timedelta(hours=2))

    ws = await connect(None, token=str(token))

    await _assert_closed_4401(ws)


async def test_connect_of_inactive_user_closes_4401():
    user = await make_user(status="inactive")

    ws = await connect(user)

    await _assert_closed_4401(ws)


async def test_socket_closes_4401_when_its_token_expires(agent_user_async):
    token = await database_sync_to_async(access_token_for)(agent_user_async)
    token.set_exp(lifetime=dt.timedelta(seconds=1))
    ws = await connect(None, token=str(token))
    await ws.receive_json_from(timeout=3)  # unread_count

    await _assert_closed_4401(ws)


async def test_disallowed_origin_is_rejected(agent_user_async):
    token = await token_for(agent_user_async)
    ws = WebsocketCommunicator(
        application,
        f"/ws/notifications/?token={token}",
        headers=[(b"origin", b"http://evil.example")],
    )

    connected, _ = await ws.connect()

    assert connected is False


async def test_ping_gets_pong(agent_user_async):
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    await ws.send_json_to({"type": "ping", "ts": 123})

    assert await ws.receive_json_from(timeout=3) == {"type": "pong", "ts": 123}
    await ws.disconnect()


async def test_unknown_and_invalid_messages_get_an_error_frame(agent_user_async):
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    await ws.send_json_to({"type": "dance"})
    unknown = await ws.receive_json_from(timeout=3)
    await ws.send_to(text_data="{not json")
    invalid = await ws.receive_json_from(timeout=3)

    assert (unknown["type"], unknown["error"]["code"]) == ("error", "unknown_type")
    assert (invalid["type"], invalid["error"]["code"]) == ("error", "invalid_message")
    await ws.disconnect()


def _create(user_id: int, **kwargs) -> Notification:
    defaults = {"type": "assignment", "title": "Case assigned", "message": "RC-1 is yours."}
    return notification_create(user=user_id, **{**defaults, **kwargs})


async def test_notification_arrives_only_after_commit(agent_user_async):
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    def create_in_transaction() -> int:
        with transaction.atomic():
            notification = _create(agent_user_async.pk)
            # Still inside the transaction: nothing may have been pushed yet.
            assert async_to_sync(ws.receive_nothing)(timeout=0.3)
        return notification.pk

    notification_id = await database_sync_to_async(create_in_transaction)()

    created = await ws.receive_json_from(timeout=3)
    count = await ws.receive_json_from(timeout=3)
    assert created["type"] == "notification.created"
    assert created["data"]["id"] == notification_id
    assert created["data"]["title"] == "Case assigned"
    assert count == {"type": "unread_count", "data": {"unread_count": 1}}
    await ws.disconnect()


async def test_notification_is_never_pushed_after_rollback(agent_user_async):
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    def create_then_fail() -> None:
        with transaction.atomic():
            _create(agent_user_async.pk)
            raise RuntimeError("the caller's change failed")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(create_then_fail)()

    assert await ws.receive_nothing(timeout=0.5)
    assert not await database_sync_to_async(Notification.objects.exists)()
    await ws.disconnect()


async def test_other_users_notifications_do_not_arrive(agent_user_async):
    other = await make_user()
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    await database_sync_to_async(_create)(other.pk)

    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()


async def test_every_socket_of_the_user_gets_the_event(agent_user_async):
    first = await connect(agent_user_async)
    second = await connect(agent_user_async)
    await first.receive_json_from(timeout=3)
    await second.receive_json_from(timeout=3)

    await database_sync_to_async(_create)(agent_user_async.pk)

    assert (await first.receive_json_from(timeout=3))["type"] == "notification.created"
    assert (await second.receive_json_from(timeout=3))["type"] == "notification.created"
    await first.disconnect()
    await second.disconnect()


async def test_in_app_off_pushes_only_the_count(agent_user_async):
    await database_sync_to_async(NotificationPreferenceFactory)(
        user=agent_user_async, channels={"system": {"in_app": False}}
    )
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    await database_sync_to_async(_create)(agent_user_async.pk, type="system")

    assert await ws.receive_json_from(timeout=3) == {
        "type": "unread_count",
        "data": {"unread_count": 1},
    }
    await ws.disconnect()


async def test_progress_event_arrives_without_a_stored_row(agent_user_async):
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    await database_sync_to_async(notification_event_send)(
        user_id=agent_user_async.pk,
        type="progress",
        data={"batch_id": 4, "processed": 50, "total": 100},
    )

    assert await ws.receive_json_from(timeout=3) == {
        "type": "progress",
        "data": {"batch_id": 4, "processed": 50, "total": 100},
    }
    assert not await database_sync_to_async(Notification.objects.exists)()
    await ws.disconnect()


async def test_progress_event_is_dropped_on_rollback(agent_user_async):
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    def send_then_fail() -> None:
        with transaction.atomic():
            notification_event_send(user_id=agent_user_async.pk, type="progress", data={})
            raise RuntimeError

    with pytest.raises(RuntimeError):
        await database_sync_to_async(send_then_fail)()

    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()


async def test_mark_read_over_socket_updates_row_and_count(agent_user_async):
    n1 = await database_sync_to_async(NotificationFactory)(user=agent_user_async)
    await database_sync_to_async(NotificationFactory)(user=agent_user_async)
    ws = await connect(agent_user_async)
    assert (await ws.receive_json_from(timeout=3))["data"]["unread_count"] == 2

    await ws.send_json_to({"type": "mark_read", "id": n1.pk})

    read = await ws.receive_json_from(timeout=3)
    count = await ws.receive_json_from(timeout=3)
    assert read["type"] == "notification.read"
    assert read["data"]["ids"] == [n1.pk]
    assert count == {"type": "unread_count", "data": {"unread_count": 1}}
    await database_sync_to_async(n1.refresh_from_db)()
    assert n1.read_status is True
    assert n1.read_at is not None
    await ws.disconnect()


async def test_mark_read_of_someone_elses_notification_is_refused(agent_user_async):
    other = await database_sync_to_async(NotificationFactory)()
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    await ws.send_json_to({"type": "mark_read", "id": other.pk})

    reply = await ws.receive_json_from(timeout=3)
    assert reply["type"] == "error"
    assert reply["error"]["code"] == "not_found"
    await database_sync_to_async(other.refresh_from_db)()
    assert other.read_status is False
    await ws.disconnect()


async def test_mark_read_via_rest_reaches_the_socket(agent_user_async, client_for):
    n = await database_sync_to_async(NotificationFactory)(user=agent_user_async)
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)
    client = await database_sync_to_async(client_for)(agent_user_async)

    await database_sync_to_async(client.put)(f"/api/v1/notifications/{n.pk}/read")

    read = await ws.receive_json_from(timeout=3)
    assert read["type"] == "notification.read"
    assert (await ws.receive_json_from(timeout=3))["data"]["unread_count"] == 0
    await ws.disconnect()


async def test_sync_returns_what_was_missed_since_a_timestamp(agent_user_async):
    await database_sync_to_async(NotificationFactory)(user=agent_user_async, title="seen")
    since = timezone.now()
    missed = await database_sync_to_async(NotificationFactory)(
        user=agent_user_async, title="missed"
    )
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    await ws.send_json_to({"type": "sync", "since": since.isoformat()})

    reply = await ws.receive_json_from(timeout=3)
    assert reply["type"] == "sync"
    assert [n["id"] for n in reply["data"]["notifications"]] == [missed.pk]
    assert reply["data"]["unread_count"] == 2
    assert reply["data"]["has_more"] is False
    await ws.disconnect()


async def test_sync_without_a_valid_since_is_an_error(agent_user_async):
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    await ws.send_json_to({"type": "sync", "since": "yesterday-ish"})

    reply = await ws.receive_json_from(timeout=3)
    assert reply["type"] == "error"
    assert reply["error"]["code"] == "invalid_message"
    await ws.disconnect()


async def test_burst_of_500_arrives_complete_and_in_order(agent_user_async):
    """Channel-layer capacity (2000) holds a burst of 500 to one user: nothing dropped."""
    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)

    def burst() -> list[int]:
        with transaction.atomic():
            return [
                _create(agent_user_async.pk, type="batch", title=f"n{i}").pk for i in range(500)
            ]

    ids = await database_sync_to_async(burst)()

    received = []
    counts = []
    for _ in range(1000):
        frame = await ws.receive_json_from(timeout=10)
        if frame["type"] == "notification.created":
            received.append(frame["data"]["id"])
        else:
            counts.append(frame["data"]["unread_count"])
    assert received == ids
    assert counts[-1] == 500
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_broadcast_reaches_every_users_socket(agent_user_async):
    from notifications.services import notification_broadcast

    other = await make_user()
    first = await connect(agent_user_async)
    second = await connect(other)
    await first.receive_json_from(timeout=3)
    await second.receive_json_from(timeout=3)

    await database_sync_to_async(notification_broadcast)(
        user_ids=[agent_user_async.pk, other.pk], type="system", title="Maintenance", message="m"
    )

    for ws in (first, second):
        created = await ws.receive_json_from(timeout=3)
        assert (created["type"], created["data"]["title"]) == (
            "notification.created",
            "Maintenance",
        )
        assert await ws.receive_json_from(timeout=3) == {
            "type": "unread_count",
            "data": {"unread_count": 1},
        }
        await ws.disconnect()


async def test_broadcast_frame_is_the_stored_notification_as_rest_returns_it(agent_user_async):
    from notifications.payloads import notification_payload
    from notifications.services import notification_broadcast

    ws = await connect(agent_user_async)
    await ws.receive_json_from(timeout=3)
    expires = timezone.now() + dt.timedelta(days=3)
    await database_sync_to_async(notification_broadcast)(
        user_ids=[agent_user_async.pk], type="update", title="Rates", message="New rates",
        data={"batch": 7, "tags": ["a", "b"]}, priority="high", expires_at=expires,
    )  # fmt: skip

    created = await ws.receive_json_from(timeout=3)
    stored = await database_sync_to_async(Notification.objects.get)(title="Rates")
    assert created == {"type": "notification.created", "data": notification_payload(stored)}
    assert created["data"]["data"] == {"batch": 7, "tags": ["a", "b"]}
    assert (created["data"]["priority"], created["data"]["read_status"]) == ("high", False)
    await ws.disconnect()
