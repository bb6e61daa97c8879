"""Web push against a local HTTP server standing in for the push service (RFC 8030/8291/8292)."""

import base64
import json

import pytest

from notifications.models import NotificationDelivery, PushSubscription
from notifications.services import notification_create
from notifications.services.delivery import notification_push_send
from tests.notifications.conftest import decrypt_push
from tests.notifications.factories import NotificationFactory, PushSubscriptionFactory

pytestmark = pytest.mark.django_db


def _subscribe(user, push_service, browser_keys, name="sub"):
    return PushSubscriptionFactory(
        user=user,
        endpoint=push_service.endpoint(name),
        p256dh=browser_keys["p256dh"],
        auth=browser_keys["auth"],
    )


def _jwt_claims(authorization: str) -> dict:
    # "vapid t=<jwt>, k=<public key>"
    token = authorization.split("t=")[1].split(",")[0]
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_push_payload_reaches_the_push_service_encrypted(
    agent_user, vapid_keys, push_service, browser_keys, django_capture_on_commit_callbacks
):
    _subscribe(agent_user, push_service, browser_keys)

    with django_capture_on_commit_callbacks(execute=True):
        n = notification_create(
            user=agent_user, type="escalation", title="RC-3 escalated", message="Call now."
        )

    assert len(push_service.requests) == 1
    request = push_service.requests[0]
    assert request["path"] == "/push/sub"
    assert request["headers"]["content-encoding"] == "aes128gcm"
    assert int(request["headers"]["ttl"]) > 0
    assert b"RC-3 escalated" not in request["body"]  # encrypted
    assert decrypt_push(request["body"], browser_keys)["data"] == {
        "id": n.pk,
        "type": "escalation",
        "title": "RC-3 escalated",
        "message": "Call now.",
        "priority": "medium",
        "url": f"http://127.0.0.1:8000/notifications?id={n.pk}",
        "created_at": n.created_at.isoformat(),
    }
    assert request["headers"]["authorization"].startswith("vapid t=")
    assert f"k={vapid_keys['public']}" in request["headers"]["authorization"]
    claims = _jwt_claims(request["headers"]["authorization"])
    assert claims["sub"] == "mailto:ops@example.com"
    assert claims["aud"] == push_service.url
    delivery = NotificationDelivery.objects.get(notification=n, channel="push")
    assert delivery.status == "sent"


def test_push_is_sent_once_when_the_task_runs_twice(
    agent_user, vapid_keys, push_service, browser_keys
):
    sub = _subscribe(agent_user, push_service, browser_keys)
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="push", subscription=sub
    )

    notification_push_send(delivery_id=delivery.pk)
    notification_push_send(delivery_id=delivery.pk)

    assert len(push_service.requests) == 1


@pytest.mark.parametrize("status", [410, 404])
def test_gone_subscription_is_deleted(agent_user, vapid_keys, push_service, browser_keys, status):
    push_service.status = status
    sub = _subscribe(agent_user, push_service, browser_keys)
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="push", subscription=sub
    )

    countdown = notification_push_send(delivery_id=delivery.pk)

    assert countdown is None
    assert not PushSubscription.objects.filter(pk=sub.pk).exists()
    delivery.refresh_from_db()
    assert delivery.status == "skipped"


def test_push_service_overload_is_retried(agent_user, vapid_keys, push_service, browser_keys):
    push_service.status = 503
    sub = _subscribe(agent_user, push_service, browser_keys)
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="push", subscription=sub
    )

    countdown = notification_push_send(delivery_id=delivery.pk)

    assert countdown is not None
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert PushSubscription.objects.filter(pk=sub.pk).exists()


def test_push_rejected_payload_fails_without_retry(
    agent_user, vapid_keys, push_service, browser_keys
):
    push_service.status = 413
    sub = _subscribe(agent_user, push_service, browser_keys)
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="push", subscription=sub
    )

    countdown = notification_push_send(delivery_id=delivery.pk)

    assert countdown is None
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_push_honours_push_off(
    agent_user, vapid_keys, push_service, browser_keys, django_capture_on_commit_callbacks
):
    from tests.notifications.factories import NotificationPreferenceFactory

    NotificationPreferenceFactory(user=agent_user, channels={"escalation": {"push": False}})
    _subscribe(agent_user, push_service, browser_keys)

    with django_capture_on_commit_callbacks(execute=True):
        notification_create(user=agent_user, type="escalation", title="t", message="m")

    assert push_service.requests == []


def test_push_subscription_from_the_api_receives_pushes(
    agent_user, agent_client, vapid_keys, push_service, browser_keys,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    agent_client.post(
        "/api/v1/notifications/push-subscriptions",
        {
            "endpoint": push_service.endpoint("browser"),
            "keys": {"p256dh": browser_keys["p256dh"], "auth": browser_keys["auth"]},
        },
        format="json",
    )

    with django_capture_on_commit_callbacks(execute=True):
        notification_create(user=agent_user, type="mention", title="You were mentioned", message="")

    assert [r["path"] for r in push_service.requests] == ["/push/browser"]
    assert decrypt_push(push_service.requests[0]["body"], browser_keys)["data"]["title"] == (
        "You were mentioned"
    )


# --- SSRF guard: which endpoints the worker may POST to ------------------------------------

PUSH_SUBSCRIPTIONS = "/api/v1/notifications/push-subscriptions"
KEYS = {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA", "auth": "tBHItJI5svbpez7KI4CCXg"}


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata service
        "https://10.0.0.5/push",
        "https://[::1]/push",
        "https://evil.example.com/fcm/send/abc",  # not a push service
        "https://fcm.googleapis.com.evil.example.com/fcm/send/abc",
        "https://fcm.googleapis.com@169.254.169.254/fcm/send/abc",  # userinfo trick
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
    ],
)
def test_registration_refuses_endpoints_off_the_push_services(agent_client, endpoint):
    response = agent_client.post(
        PUSH_SUBSCRIPTIONS, {"endpoint": endpoint, "keys": KEYS}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "endpoint" in response.json()["error"]["details"]
    assert not PushSubscription.objects.exists()


def test_registration_refuses_a_push_host_that_resolves_to_loopback(settings, agent_client):
    # "localhost" resolves (through the real resolver) to a loopback address.
    settings.WEB_PUSH_ALLOWED_HOSTS = [*settings.WEB_PUSH_ALLOWED_HOSTS, "localhost"]

    response = agent_client.post(
        PUSH_SUBSCRIPTIONS,
        {"endpoint": "https://localhost/push/abc", "keys": KEYS},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_registration_accepts_a_subdomain_of_a_push_service(agent_client):
    endpoint = "https://wns2-par02p.notify.windows.com/w/?token=abc"

    response = agent_client.post(
        PUSH_SUBSCRIPTIONS, {"endpoint": endpoint, "keys": KEYS}, format="json"
    )

    assert response.status_code == 201


def test_send_refuses_an_endpoint_that_now_resolves_to_a_private_address(
    settings, agent_user, vapid_keys, push_service, browser_keys
):
    sub = _subscribe(agent_user, push_service, browser_keys)
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="push", subscription=sub
    )
    settings.WEB_PUSH_TRUSTED_NETWORKS = []  # loopback is no longer a trusted relay

    countdown = notification_push_send(delivery_id=delivery.pk)

    assert countdown is None
    assert push_service.requests == []
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.error.startswith("endpoint refused")


def test_send_refuses_an_endpoint_stored_before_the_allow_list(
    agent_user, vapid_keys, push_service, browser_keys
):
    sub = _subscribe(agent_user, push_service, browser_keys)
    PushSubscription.objects.filter(pk=sub.pk).update(
        endpoint="http://169.254.169.254/latest/meta-data/"
    )
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="push", subscription=sub
    )

    notification_push_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == "failed"


@pytest.mark.parametrize("status", [307, 302])
def test_send_does_not_follow_a_redirect(
    agent_user, vapid_keys, push_service, browser_keys, status
):
    push_service.status = status
    push_service.location = push_service.endpoint("elsewhere")
    sub = _subscribe(agent_user, push_service, browser_keys)
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="push", subscription=sub
    )

    notification_push_send(delivery_id=delivery.pk)

    assert [r["path"] for r in push_service.requests] == ["/push/sub"]
    delivery.refresh_from_db()
    assert delivery.status == "failed"
