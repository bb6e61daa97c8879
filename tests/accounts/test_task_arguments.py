"""Issue 13 hole 14: reset and invitation tokens never travel as Celery task arguments.

The tasks receive ids; the accounts service renders the email and derives the link itself.
Arguments are observed with Celery's own `task_prerun` signal (eager in tests, so it sees
exactly what a broker would have carried).
"""

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from celery.signals import task_prerun

from accounts.tasks import password_email_send_task
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"
USERS = "/api/v1/users"


@pytest.fixture
def task_calls():
    calls: list[tuple[str, object, dict]] = []

    def record(sender=None, args=None, kwargs=None, **_extra):
        calls.append((sender.name, args, kwargs))

    task_prerun.connect(record, weak=False)
    yield calls
    task_prerun.disconnect(record)


def _token_from(mail) -> str:
    link = re.search(r"https?://\S+reset-password\?token=\S+", mail.body).group(0)
    return parse_qs(urlparse(link).query)["token"][0]


def _assert_no_token_in(calls, token: str) -> None:
    email_calls = [c for c in calls if c[0] == password_email_send_task.name]
    assert email_calls
    for _name, args, kwargs in email_calls:
        assert token not in json.dumps([args, kwargs], default=str)
        assert set(kwargs) == {"user_id", "kind"}


def test_reset_email_task_receives_the_users_id_not_the_token(api_client, mailoutbox, task_calls):
    user = UserFactory(email="reset@example.com")

    api_client.post(FORGOT, {"email": "reset@example.com"}, format="json")

    token = _token_from(mailoutbox[0])
    _assert_no_token_in(task_calls, token)
    assert task_calls[-1][2] == {"user_id": user.pk, "kind": "reset"}


def test_invitation_task_receives_the_users_id_not_the_token(admin_client, mailoutbox, task_calls):
    admin_client.post(
        USERS,
        {"email": "invitee@example.com", "first_name": "I", "last_name": "V", "role": "viewer"},
        format="json",
    )

    _assert_no_token_in(task_calls, _token_from(mailoutbox[0]))


def test_the_task_run_twice_sends_the_same_working_link(api_client, mailoutbox):
    user = UserFactory(email="twice@example.com")
    api_client.post(FORGOT, {"email": "twice@example.com"}, format="json")

    password_email_send_task.delay(user_id=user.pk, kind="reset")  # a redelivery

    assert len(mailoutbox) == 2
    assert _token_from(mailoutbox[0]) == _token_from(mailoutbox[1])
    response = api_client.post(
        RESET,
        {"token": _token_from(mailoutbox[1]), "password": "Brand-New-Secret-2026"},
        format="json",
    )
    assert response.status_code == 200


def test_the_task_sends_nothing_once_the_link_was_used(api_client, mailoutbox):
    user = UserFactory(email="used@example.com")
    api_client.post(FORGOT, {"email": "used@example.com"}, format="json")
    api_client.post(
        RESET,
        {"token": _token_from(mailoutbox[0]), "password": "Brand-New-Secret-2026"},
        format="json",
    )

    password_email_send_task.delay(user_id=user.pk, kind="reset")

    assert len(mailoutbox) == 1
