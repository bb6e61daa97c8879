"""/email-accounts through real URLs, logins tested against real Dovecot and SMTP servers."""

import logging

import pytest
from django.db import connection

from core.models import AuditEvent
from emails.models import EmailAccount
from testing.clamd import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.service]

URL = "/api/v1/email-accounts"


def _create(client, mailbox, **overrides):
    response = client.post(URL, mailbox.account_payload(**overrides), format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_create_stores_the_password_encrypted_and_never_returns_it(admin_client, mailbox):
    data = _create(admin_client, mailbox)

    account = EmailAccount.objects.get(pk=data["id"])
    with connection.cursor() as cur:
        cur.execute("SELECT password_encrypted FROM email_accounts WHERE id = %s", [account.pk])
        stored = cur.fetchone()[0]
    listed = admin_client.get(URL).json()["data"]
    detail = admin_client.get(f"{URL}/{account.pk}").json()["data"]
    assert account.password_encrypted == mailbox.password
    assert mailbox.password not in stored
    assert "password" not in data
    assert "password_encrypted" not in data
    assert mailbox.password not in str(listed) + str(detail)
    assert data["folders"] == ["INBOX"]
    assert data["sent_folder"] == "Sent"
    assert data["sync_interval"] == 5
    assert data["status"] == "active"
    assert listed["email_accounts"][0]["id"] == account.pk
    assert listed["pagination"]["total_records"] == 1
    audit = AuditEvent.objects.get(action="email_account.created")
    assert mailbox.password not in str(audit.changes)


def test_update_changes_only_what_is_sent_and_a_new_password_is_audited_as_changed(
    manager_client, mailbox
):
    data = _create(manager_client, mailbox)

    response = manager_client.put(
        f"{URL}/{data['id']}",
        {"sync_interval": 15, "folders": ["INBOX", "Renewals"], "password": "new-secret"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()["data"]
    account = EmailAccount.objects.get(pk=data["id"])
    audit = AuditEvent.objects.get(action="email_account.updated")
    assert body["sync_interval"] == 15
    assert body["folders"] == ["INBOX", "Renewals"]
    assert body["name"] == "Support"
    assert account.password_encrypted == "new-secret"
    assert audit.changes["password"] == "changed"
    assert "new-secret" not in str(audit.changes)


def test_delete_removes_the_mailbox_and_is_audited(admin_client, mailbox):
    data = _create(admin_client, mailbox)

    response = admin_client.delete(f"{URL}/{data['id']}")

    assert response.status_code == 204
    assert not EmailAccount.objects.filter(pk=data["id"]).exists()
    assert AuditEvent.objects.filter(action="email_account.deleted").count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"imap_port": 0}, "imap_port"),
        ({"sync_interval": 0}, "sync_interval"),
        ({"folders": []}, "folders"),
        ({"email": "not-an-email"}, "email"),
        ({"password": None}, "password"),
    ],
)
def test_bad_input_is_a_validation_error(admin_client, mailbox, payload, field):
    response = admin_client.post(URL, mailbox.account_payload(**payload), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]


def test_the_same_address_twice_is_refused(admin_client, mailbox):
    _create(admin_client, mailbox)

    response = admin_client.post(URL, mailbox.account_payload(), format="json")

    assert response.status_code == 400
    assert "email" in response.json()["error"]["details"]


def test_agents_and_viewers_cannot_reach_mailboxes(
    admin_client, agent_client, viewer_client, mailbox
):
    data = _create(admin_client, mailbox)

    for client in (agent_client, viewer_client):
        assert client.get(URL).status_code == 403
        assert client.get(f"{URL}/{data['id']}").status_code == 403
        assert client.post(f"{URL}/{data['id']}/test").status_code == 403
        assert client.post(URL, mailbox.account_payload(), format="json").status_code == 403


def test_connection_test_logs_in_to_imap_and_smtp(admin_client, mailbox):
    data = _create(admin_client, mailbox)

    response = admin_client.post(f"{URL}/{data['id']}/test")

    assert response.status_code == 200, response.content
    body = response.json()["data"]
    assert body["ok"] is True
    assert body["imap"] == {"ok": True, "code": None, "message": "IMAP login succeeded."}
    assert body["smtp"]["ok"] is True


def test_a_wrong_password_is_reported_for_each_server(admin_client, mailbox, caplog):
    data = _create(admin_client, mailbox, password="wrong-password")

    with caplog.at_level(logging.DEBUG):
        response = admin_client.post(f"{URL}/{data['id']}/test")

    body = response.json()["data"]
    assert response.status_code == 200
    assert body["ok"] is False
    assert body["imap"]["code"] == "imap_auth_failed"
    assert body["smtp"]["code"] == "smtp_auth_failed"
    assert "wrong-password" not in caplog.text
    assert "wrong-password" not in response.content.decode()


def test_unreachable_servers_are_reported(admin_client, mailbox):
    closed = free_port()  # nothing listens there
    data = _create(admin_client, mailbox, imap_port=closed, smtp_port=closed)

    body = admin_client.post(f"{URL}/{data['id']}/test").json()["data"]

    assert body["imap"]["code"] == "imap_unreachable"
    assert body["smtp"]["code"] == "smtp_unreachable"


def test_an_unknown_mailbox_is_404(admin_client):
    response = admin_client.post(f"{URL}/999999/test")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
