"""Single-use websocket tickets: POST /api/v1/ws/ticket, then /ws/notifications/?ticket=...
through the real ASGI stack (origin check, auth middleware, routing)."""

import hashlib

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import UserSession
from accounts.services.sessions import session_revoke
from accounts.tokens import access_token_for
from intelipro.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True)]

TICKET_URL = "/api/v1/ws/ticket"
ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
def _fresh_layer():
    channel_layers.backends.pop("default", None)
    yield
    channel_layers.backends.pop("default", None)


def _client_with_session(user) -> tuple[APIClient, str]:
    token = access_token_for(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, str(token["sid"])


@database_sync_to_async
def _ticket_for(user) -> tuple[str, str]:
    client, session_id = _client_with_session(user)
    response = client.post(TICKET_URL)
    assert response.status_code == 200, response.content
    return response.json()["data"]["ticket"], session_id


async def _open(path: str) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, path, headers=[ORIGIN])
    connected, _ = await ws.connect()
    assert connected
    return ws


async def _assert_closed_4401(ws) -> None:
    assert await ws.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}


def test_ticket_endpoint_answers_a_ticket_and_its_lifetime(agent_user):
    client, _ = _client_with_session(agent_user)

    response = client.post(TICKET_URL)

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"ticket", "expires_in"}
    assert data["expires_in"] == 30
    assert len(data["ticket"]) >= 32


def test_ticket_endpoint_needs_authentication(api_client):
    response = api_client.post(TICKET_URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_only_the_tickets_hash_is_stored(agent_user):
    client, _ = _client_with_session(agent_user)

    ticket = client.post(TICKET_URL).json()["data"]["ticket"]

    assert cache.get(f"ws-ticket:{ticket}") is None
    digest = hashlib.sha256(ticket.encode()).hexdigest()
    assert cache.get(f"ws-ticket:{digest}")["user_id"] == agent_user.pk


async def test_socket_opened_with_a_ticket_gets_unread_count(agent_user_async):
    ticket, _ = await _ticket_for(agent_user_async)

    ws = await _open(f"/ws/notifications/?ticket={ticket}")

    assert await ws.receive_json_from(timeout=3) == {
        "type": "unread_count",
        "data": {"unread_count": 0},
    }
    await ws.disconnect()


async def test_a_ticket_works_once(agent_user_async):
    ticket, _ = await _ticket_for(agent_user_async)
    first = await _open(f"/ws/notifications/?ticket={ticket}")
    await first.receive_json_from(timeout=3)

    second = await _open(f"/ws/notifications/?ticket={ticket}")

    await _assert_closed_4401(second)
    await first.disconnect()


async def test_an_unknown_ticket_closes_4401():
    ws = await _open("/ws/notifications/?ticket=not-a-ticket")

    await _assert_closed_4401(ws)


async def test_a_ticket_of_a_revoked_session_closes_4401(agent_user_async):
    ticket, session_id = await _ticket_for(agent_user_async)
    await database_sync_to_async(session_revoke)(
        session_id=session_id, user=agent_user_async, reason=UserSession.RevokedReason.LOGOUT
    )

    ws = await _open(f"/ws/notifications/?ticket={ticket}")

    await _assert_closed_4401(ws)


async def test_a_ticket_of_a_deactivated_user_closes_4401(agent_user_async):
    ticket, _ = await _ticket_for(agent_user_async)
    agent_user_async.status = "inactive"
    await database_sync_to_async(agent_user_async.save)(update_fields=["status"])

    ws = await _open(f"/ws/notifications/?ticket={ticket}")

    await _assert_closed_4401(ws)


async def test_revoking_the_session_closes_a_socket_opened_with_its_ticket(agent_user_async):
    ticket, session_id = await _ticket_for(agent_user_async)
    ws = await _open(f"/ws/notifications/?ticket={ticket}")
    await ws.receive_json_from(timeout=3)

    await database_sync_to_async(session_revoke)(
        session_id=session_id, user=agent_user_async, reason=UserSession.RevokedReason.REVOKED
    )

    await _assert_closed_4401(ws)
