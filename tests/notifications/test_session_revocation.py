"""Revoking a session closes that session's open websockets at once with 4401 (logout,
session revocation, deactivation, password reset), through the real URLs and the real ASGI
stack; the Redis channel layer when REDIS_URL is set."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from accounts.tokens import access_token_for
from intelipro.asgi import application
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
def _fresh_layer():
    channel_layers.backends.pop("default", None)
    yield
    channel_layers.backends.pop("default", None)


@database_sync_to_async
def _signed_in(user) -> tuple[APIClient, str, str]:
    """An API client and an access token of a new session of `user`, and the session id."""
    token = access_token_for(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, str(token), str(token["sid"])


async def _socket(token: str) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[ORIGIN], subprotocols=["bearer", token]
    )
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=3))["type"] == "unread_count"
    return ws


async def _assert_closed_4401(ws) -> None:
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


@database_sync_to_async
def _call(method, url: str, body: dict | None = None) -> int:
    response = method(url, body or {}, format="json")
    return response.status_code


async def test_logout_closes_that_sessions_socket(agent_user_async):
    client, token, _ = await _signed_in(agent_user_async)
    ws = await _socket(token)

    status = await _call(client.post, "/api/v1/auth/logout")

    assert status == 200
    await _assert_closed_4401(ws)


async def test_revoking_a_session_closes_only_that_sessions_sockets(agent_user_async):
    client, token, _ = await _signed_in(agent_user_async)
    _, other_token, other_session = await _signed_in(agent_user_async)
    mine = await _socket(token)
    other = await _socket(other_token)

    status = await _call(client.delete, f"/api/v1/auth/sessions/{other_session}")

    assert status == 204
    await _assert_closed_4401(other)
    assert await mine.receive_nothing(timeout=0.5)
    await mine.disconnect()


async def test_deactivating_a_user_closes_their_sockets(agent_user_async):
    admin = await database_sync_to_async(UserFactory)(role="admin")
    admin_client, _, _ = await _signed_in(admin)
    _, token, _ = await _signed_in(agent_user_async)
    _, second_token, _ = await _signed_in(agent_user_async)
    first = await _socket(token)
    second = await _socket(second_token)

    status = await _call(
        admin_client.patch, f"/api/v1/users/{agent_user_async.pk}", {"status": "inactive"}
    )

    assert status == 200
    await _assert_closed_4401(first)
    await _assert_closed_4401(second)


async def test_changing_the_password_closes_the_other_sessions_sockets(agent_user_async):
    password = "Old-Password-123456!"
    agent_user_async.set_password(password)
    await database_sync_to_async(agent_user_async.save)(update_fields=["password"])
    client, token, _ = await _signed_in(agent_user_async)
    _, other_token, _ = await _signed_in(agent_user_async)
    mine = await _socket(token)
    other = await _socket(other_token)

    status = await _call(
        client.post,
        "/api/v1/auth/change-password",
        {
            "current_password": password,
            "new_password": "New-Password-654321!",
            "confirm_password": "New-Password-654321!",
        },
    )

    assert status == 200
    await _assert_closed_4401(other)
    assert await mine.receive_nothing(timeout=0.5)
    await mine.disconnect()


async def test_a_revocation_rolled_back_closes_nothing(agent_user_async):
    from django.db import transaction

    from accounts.models import UserSession
    from accounts.services.sessions import sessions_revoke_all

    _, token, _ = await _signed_in(agent_user_async)
    ws = await _socket(token)

    @database_sync_to_async
    def revoke_then_roll_back() -> None:
        with transaction.atomic():
            sessions_revoke_all(user=agent_user_async, reason=UserSession.RevokedReason.REVOKED)
            transaction.set_rollback(True)

    await revoke_then_roll_back()

    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()
