"""Websocket sign-in uses the API's session-aware JWT check."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from intelipro.asgi import application
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://testserver")


@database_sync_to_async
def _login_then(*, logout: bool) -> str:
    user = UserFactory(role="agent")
    client = APIClient()
    tokens = client.post(
        "/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    ).json()["data"]
    if logout:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        client.post(
            "/api/v1/auth/logout", {"refresh_token": tokens["refresh_token"]}, format="json"
        )
    return tokens["access_token"]


async def _first_close_code(token: str) -> int | None:
    ws = WebsocketCommunicator(application, f"/ws/notifications/?token={token}", headers=[ORIGIN])
    connected, _ = await ws.connect(timeout=5)
    assert connected  # accepted first, so a browser sees the close code (not 1006)
    while True:
        message = await ws.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            return message.get("code")
        if message["type"] == "websocket.send" and '"unread_count"' in message.get("text", ""):
            await ws.disconnect()
            return None


async def test_access_token_of_a_live_session_stays_connected():
    token = await _login_then(logout=False)

    assert await _first_close_code(token) is None


async def test_access_token_of_a_logged_out_session_is_refused_with_4401():
    token = await _login_then(logout=True)

    assert await _first_close_code(token) == 4401


async def _handshake(headers: list[tuple[bytes, bytes]]) -> bool:
    token = await _login_then(logout=False)
    ws = WebsocketCommunicator(application, f"/ws/notifications/?token={token}", headers=headers)
    connected, _ = await ws.connect(timeout=5)
    await ws.disconnect()
    return connected


async def test_client_without_origin_header_may_connect_with_its_token():
    assert await _handshake([]) is True


async def test_browser_from_a_foreign_origin_is_refused():
    assert await _handshake([(b"origin", b"https://evil.example.com")]) is False


async def test_browser_from_an_allowed_host_may_connect():
    assert await _handshake([(b"origin", b"http://localhost")]) is True


async def test_token_offered_alone_as_the_subprotocol_is_accepted_and_echoed():
    token = await _login_then(logout=False)
    ws = WebsocketCommunicator(application, "/ws/notifications/", subprotocols=[token])

    connected, accepted = await ws.connect(timeout=5)
    first = await ws.receive_json_from(timeout=5)
    await ws.disconnect()

    assert connected is True
    assert accepted == token
    assert first["type"] == "unread_count"


async def test_bearer_subprotocol_pair_is_accepted_as_bearer():
    token = await _login_then(logout=False)
    ws = WebsocketCommunicator(application, "/ws/notifications/", subprotocols=["bearer", token])

    connected, accepted = await ws.connect(timeout=5)
    await ws.disconnect()

    assert connected is True
    assert accepted == "bearer"
