"""Notification endpoints through their real URLs (spec paths, envelope, error codes)."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from notifications.models import Notification, NotificationPreference, PushSubscription
from tests.accounts.factories import UserFactory
from tests.notifications.factories import (
    NotificationFactory,
    NotificationPreferenceFactory,
    PushSubscriptionFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications"


def _read(user, **kwargs):
    return NotificationFactory(user=user, read_status=True, read_at=timezone.now(), **kwargs)


# --- GET /notifications ------------------------------------------------------------------


def test_list_returns_only_my_notifications_newest_first(agent_user, agent_client):
    old = NotificationFactory(user=agent_user)
    new = NotificationFactory(user=agent_user)
    NotificationFactory()  # someone else's

    response = agent_client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert [n["id"] for n in body["data"]["notifications"]] == [new.pk, old.pk]
    assert body["data"]["pagination"] == {
        "current_page": 1,
        "total_pages": 1,
        "total_records": 2,
        "per_page": 10,
    }


def test_list_item_has_the_spec_fields(agent_user, agent_client):
    NotificationFactory(user=agent_user, data={"case_id": 7}, priority="high")

    item = agent_client.get(LIST).json()["data"]["notifications"][0]

    assert set(item) >= {
        "id", "type", "title", "message", "data", "read_status", "read_at", "priority",
        "expires_at", "created_at",
    }  # fmt: skip
    assert item["data"] == {"case_id": 7}
    assert item["priority"] == "high"
    assert item["read_status"] is False


def test_list_paginates_with_page_and_limit(agent_user, agent_client):
    NotificationFactory.create_batch(5, user=agent_user)

    body = agent_client.get(LIST, {"page": 2, "limit": 2}).json()["data"]

    assert len(body["notifications"]) == 2
    assert body["pagination"]["current_page"] == 2
    assert body["pagination"]["total_pages"] == 3
    assert body["pagination"]["total_records"] == 5


@pytest.mark.parametrize(("read_status", "expected"), [("all", 3), ("read", 1), ("unread", 2)])
def test_list_filters_by_read_status(agent_user, agent_client, read_status, expected):
    NotificationFactory.create_batch(2, user=agent_user)
    _read(agent_user)

    body = agent_client.get(LIST, {"read_status": read_status}).json()["data"]

    assert body["pagination"]["total_records"] == expected
    if read_status != "all":
        assert {n["read_status"] for n in body["notifications"]} == {read_status == "read"}


def test_list_filters_by_type(agent_user, agent_client):
    NotificationFactory(user=agent_user, type="assignment")
    NotificationFactory(user=agent_user, type="system")

    body = agent_client.get(LIST, {"type": "system"}).json()["data"]

    assert [n["type"] for n in body["notifications"]] == ["system"]


def test_list_type_all_returns_every_type(agent_user, agent_client):
    NotificationFactory(user=agent_user, type="assignment")
    NotificationFactory(user=agent_user, type="update")

    body = agent_client.get(LIST, {"type": "all"}).json()["data"]

    assert body["pagination"]["total_records"] == 2


@pytest.mark.parametrize("query", [{"read_status": "maybe"}, {"type": "nonsense"}, {"limit": 0}])
def test_list_rejects_bad_filters(agent_client, query):
    response = agent_client.get(LIST, query)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_list_hides_expired_notifications(agent_user, agent_client):
    NotificationFactory(user=agent_user, expires_at=timezone.now() - dt.timedelta(minutes=1))
    live = NotificationFactory(user=agent_user, expires_at=timezone.now() + dt.timedelta(days=1))

    body = agent_client.get(LIST).json()["data"]

    assert [n["id"] for n in body["notifications"]] == [live.pk]


def test_list_works_with_trailing_slash(agent_user, agent_client):
    NotificationFactory(user=agent_user)

    response = agent_client.get(LIST + "/")

    assert response.status_code == 200


def test_list_query_count_is_constant(agent_user, agent_client, django_assert_max_num_queries):
    NotificationFactory.create_batch(30, user=agent_user)

    with django_assert_max_num_queries(4):
        response = agent_client.get(LIST, {"limit": 30})

    assert len(response.json()["data"]["notifications"]) == 30


def test_list_requires_authentication(api_client):
    response = api_client.get(LIST)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_every_role_reads_its_own_inbox(viewer_user, viewer_client):
    NotificationFactory(user=viewer_user)

    response = viewer_client.get(LIST)

    assert response.status_code == 200
    assert response.json()["data"]["pagination"]["total_records"] == 1


# --- GET/DELETE /notifications/{id} --------------------------------------------------------


def test_retrieve_my_notification(agent_user, agent_client):
    n = NotificationFactory(user=agent_user)

    response = agent_client.get(f"{LIST}/{n.pk}")

    assert response.status_code == 200
    assert response.json()["data"]["id"] == n.pk


def test_retrieve_someone_elses_notification_is_404(agent_client):
    other = NotificationFactory()

    response = agent_client.get(f"{LIST}/{other.pk}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_delete_my_notification(agent_user, agent_client):
    n = NotificationFactory(user=agent_user)

    response = agent_client.delete(f"{LIST}/{n.pk}")

    assert response.status_code == 204
    assert not Notification.objects.filter(pk=n.pk).exists()
    assert AuditEvent.objects.filter(action="notification.delete", object_id=str(n.pk)).exists()


def test_delete_someone_elses_notification_is_404_and_keeps_it(agent_client):
    other = NotificationFactory()

    response = agent_client.delete(f"{LIST}/{other.pk}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Notification.objects.filter(pk=other.pk).exists()


# --- PUT /notifications/{id}/read ----------------------------------------------------------


def test_mark_read_sets_read_status_and_read_at(agent_user, agent_client):
    n = NotificationFactory(user=agent_user)

    response = agent_client.put(f"{LIST}/{n.pk}/read")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["read_status"] is True
    assert data["read_at"] is not None
    n.refresh_from_db()
    assert n.read_status is True
    assert AuditEvent.objects.filter(action="notification.read", object_id=str(n.pk)).count() == 1


def test_mark_read_twice_keeps_the_first_read_at(agent_user, agent_client):
    n = NotificationFactory(user=agent_user)
    first = agent_client.put(f"{LIST}/{n.pk}/read").json()["data"]["read_at"]

    second = agent_client.put(f"{LIST}/{n.pk}/read")

    assert second.status_code == 200
    assert second.json()["data"]["read_at"] == first
    assert AuditEvent.objects.filter(action="notification.read").count() == 1


def test_mark_read_of_someone_elses_notification_is_404(agent_client):
    other = NotificationFactory()

    response = agent_client.put(f"{LIST}/{other.pk}/read")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    other.refresh_from_db()
    assert other.read_status is False


def test_mark_read_of_missing_notification_is_404(agent_client):
    response = agent_client.put(f"{LIST}/999999/read")

    assert response.status_code == 404


def test_mark_read_url_reverses(agent_user, agent_client):
    n = NotificationFactory(user=agent_user)

    response = agent_client.put(reverse("api:notifications:notification-read", kwargs={"pk": n.pk}))

    assert response.status_code == 200


# --- PUT /notifications/mark-all-read ------------------------------------------------------


def test_mark_all_read_marks_only_mine(agent_user, agent_client):
    NotificationFactory.create_batch(3, user=agent_user)
    other = NotificationFactory()

    response = agent_client.put(f"{LIST}/mark-all-read")

    assert response.status_code == 200
    assert response.json()["data"] == {"updated_count": 3, "unread_count": 0}
    assert not Notification.objects.filter(user=agent_user, read_status=False).exists()
    other.refresh_from_db()
    assert other.read_status is False


def test_mark_all_read_by_type(agent_user, agent_client):
    NotificationFactory(user=agent_user, type="assignment")
    NotificationFactory(user=agent_user, type="system")

    response = agent_client.put(f"{LIST}/mark-all-read", {"type": "system"}, format="json")

    assert response.json()["data"] == {"updated_count": 1, "unread_count": 1}


def test_mark_all_read_with_nothing_unread_is_ok(agent_client):
    response = agent_client.put(f"{LIST}/mark-all-read/")

    assert response.status_code == 200
    assert response.json()["data"]["updated_count"] == 0


# --- GET /notifications/unread-count -------------------------------------------------------


def test_unread_count_counts_my_unread_by_type(agent_user, agent_client):
    NotificationFactory.create_batch(2, user=agent_user, type="assignment")
    NotificationFactory(user=agent_user, type="escalation")
    _read(agent_user)
    NotificationFactory()

    response = agent_client.get(f"{LIST}/unread-count")

    assert response.status_code == 200
    assert response.json()["data"] == {
        "unread_count": 3,
        "by_type": {"assignment": 2, "escalation": 1},
    }


# --- GET/PUT /notifications/preferences ----------------------------------------------------


def test_preferences_defaults(agent_client):
    response = agent_client.get(f"{LIST}/preferences")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["email_digest"] == "off"
    assert data["quiet_hours"] == {"enabled": False, "start": None, "end": None, "timezone": "UTC"}
    assert data["channels"]["assignment"] == {"in_app": True, "email": True, "push": True}
    assert data["channels"]["batch"] == {"in_app": True, "email": False, "push": False}
    assert set(data["channels"]) >= {
        "assignment", "escalation", "update", "system", "batch", "mention", "reminder",
    }  # fmt: skip


def test_preferences_update_merges_and_persists(agent_user, agent_client):
    response = agent_client.put(
        f"{LIST}/preferences",
        {
            "channels": {"assignment": {"email": False}},
            "quiet_hours": {
                "enabled": True, "start": "22:00", "end": "07:00", "timezone": "Asia/Kolkata",
            },
            "email_digest": "daily",
        },
        format="json",
    )  # fmt: skip

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["channels"]["assignment"] == {"in_app": True, "email": False, "push": True}
    assert data["quiet_hours"] == {
        "enabled": True, "start": "22:00", "end": "07:00", "timezone": "Asia/Kolkata",
    }  # fmt: skip
    assert data["email_digest"] == "daily"
    assert agent_client.get(f"{LIST}/preferences").json()["data"] == data
    assert AuditEvent.objects.filter(action="notification_preference.update").count() == 1


def test_preferences_partial_update_keeps_other_choices(agent_user, agent_client):
    NotificationPreferenceFactory(user=agent_user, email_digest="hourly")

    agent_client.put(
        f"{LIST}/preferences", {"channels": {"system": {"email": True}}}, format="json"
    )

    pref = NotificationPreference.objects.get(user=agent_user)
    assert pref.email_digest == "hourly"
    assert pref.channels["system"]["email"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"channels": {"nonsense": {"email": True}}},
        {"quiet_hours": {"timezone": "Mars/Olympus"}},
        {"quiet_hours": {"enabled": True}},
        {"quiet_hours": {"start": "25:00"}},
        {"quiet_hours": {"start": "08:00", "end": "08:00"}},
        {"email_digest": "weekly"},
        {"channels": {"assignment": {"email": "perhaps"}}},
    ],
)
def test_preferences_reject_invalid_input(agent_client, body):
    response = agent_client.put(f"{LIST}/preferences", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_preferences_are_per_user(agent_client, manager_client):
    agent_client.put(f"{LIST}/preferences", {"email_digest": "daily"}, format="json")

    response = manager_client.get(f"{LIST}/preferences")

    assert response.json()["data"]["email_digest"] == "off"


# --- POST/DELETE /notifications/push-subscriptions -----------------------------------------

SUBSCRIPTION = {
    "endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
    "expirationTime": None,
    "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA", "auth": "tBHItJI5svbpez7KI4CCXg"},
}


def test_push_subscription_create(agent_user, agent_client):
    response = agent_client.post(f"{LIST}/push-subscriptions", SUBSCRIPTION, format="json")

    assert response.status_code == 201
    assert response.json()["data"]["endpoint"] == SUBSCRIPTION["endpoint"]
    sub = PushSubscription.objects.get(endpoint=SUBSCRIPTION["endpoint"])
    assert sub.user == agent_user
    assert sub.p256dh == SUBSCRIPTION["keys"]["p256dh"]


def test_push_subscription_auth_secret_is_encrypted_at_rest(agent_client):
    agent_client.post(f"{LIST}/push-subscriptions", SUBSCRIPTION, format="json")
    sub = PushSubscription.objects.get(endpoint=SUBSCRIPTION["endpoint"])

    with connection.cursor() as cursor:
        cursor.execute("SELECT auth FROM notifications_pushsubscription WHERE id = %s", [sub.pk])
        raw = cursor.fetchone()[0]

    assert raw.startswith("gAAAA")
    assert SUBSCRIPTION["keys"]["auth"] not in raw
    assert sub.auth == SUBSCRIPTION["keys"]["auth"]


def test_push_subscription_repost_updates_keys(agent_client):
    agent_client.post(f"{LIST}/push-subscriptions", SUBSCRIPTION, format="json")
    again = {**SUBSCRIPTION, "keys": {"p256dh": "BNEW", "auth": "NEWAUTH"}}

    response = agent_client.post(f"{LIST}/push-subscriptions", again, format="json")

    assert response.status_code == 200
    assert PushSubscription.objects.get().auth == "NEWAUTH"


def test_push_subscription_moves_to_the_user_who_signs_in(
    agent_client, manager_client, manager_user
):
    agent_client.post(f"{LIST}/push-subscriptions", SUBSCRIPTION, format="json")

    manager_client.post(f"{LIST}/push-subscriptions", SUBSCRIPTION, format="json")

    assert PushSubscription.objects.get().user == manager_user


def test_push_subscription_expiration_time_is_stored(agent_client):
    body = {**SUBSCRIPTION, "expirationTime": 1893456000000}

    agent_client.post(f"{LIST}/push-subscriptions", body, format="json")

    assert PushSubscription.objects.get().expiration_time == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "https://push.example.com/x"},
        {"endpoint": "not a url", "keys": {"p256dh": "a", "auth": "b"}},
        {"endpoint": "http://push.example.com/x", "keys": {"p256dh": "a", "auth": "b"}},
        {"keys": {"p256dh": "a", "auth": "b"}},
    ],
)
def test_push_subscription_rejects_invalid_json(agent_client, body):
    response = agent_client.post(f"{LIST}/push-subscriptions", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_push_subscription_delete(agent_user, agent_client):
    sub = PushSubscriptionFactory(user=agent_user)

    response = agent_client.delete(
        f"{LIST}/push-subscriptions", {"endpoint": sub.endpoint}, format="json"
    )

    assert response.status_code == 204
    assert not PushSubscription.objects.filter(pk=sub.pk).exists()


def test_push_subscription_delete_by_query_parameter(agent_user, agent_client):
    sub = PushSubscriptionFactory(user=agent_user)

    response = agent_client.delete(f"{LIST}/push-subscriptions?endpoint={sub.endpoint}")

    assert response.status_code == 204


def test_push_subscription_delete_someone_elses_is_404(agent_client):
    other = PushSubscriptionFactory(user=UserFactory())

    response = agent_client.delete(
        f"{LIST}/push-subscriptions", {"endpoint": other.endpoint}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert PushSubscription.objects.filter(pk=other.pk).exists()


def test_push_subscriptions_list_gives_the_vapid_key(agent_user, agent_client, settings):
    settings.VAPID_PUBLIC_KEY = "BPUBLIC"
    PushSubscriptionFactory(user=agent_user)
    PushSubscriptionFactory()

    data = agent_client.get(f"{LIST}/push-subscriptions").json()["data"]

    assert data["vapid_public_key"] == "BPUBLIC"
    assert len(data["subscriptions"]) == 1


def test_mark_all_read_refuses_a_json_body_that_is_not_an_object(client_for):
    user = UserFactory(role="agent")

    response = client_for(user).put(
        "/api/v1/notifications/mark-all-read", data="null", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_mark_all_read_without_a_body_marks_everything(client_for):
    user = UserFactory(role="agent")

    response = client_for(user).post("/api/v1/notifications/mark-all-read")

    assert response.status_code == 200
