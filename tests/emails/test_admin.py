"""The admin console: mailboxes (test and sync actions) and emails, read-only."""

import pytest
from django.utils import timezone

from emails.models import Email
from tests.emails.helpers import account_for, message

pytestmark = [pytest.mark.django_db, pytest.mark.service]


def test_mailbox_actions_call_the_services(admin_web, mailbox, imap):
    account = account_for(mailbox)
    imap.append("INBOX", message(subject="From the admin"))

    listing = admin_web.get("/admin/emails/emailaccount/")
    tested = admin_web.post(
        "/admin/emails/emailaccount/",
        {"action": "test_connection", "_selected_action": [account.pk]},
        follow=True,
    )
    synced = admin_web.post(
        "/admin/emails/emailaccount/",
        {"action": "sync_now", "_selected_action": [account.pk]},
        follow=True,
    )
    page = admin_web.get(f"/admin/emails/emailaccount/{account.pk}/change/")

    assert listing.status_code == 200
    assert "IMAP ok, SMTP ok" in tested.content.decode()
    assert "1 new of 1 fetched" in synced.content.decode()
    assert Email.objects.filter(subject="From the admin").exists()
    assert page.status_code == 200
    assert mailbox.password not in page.content.decode()


def test_emails_are_listed_and_shown(admin_web):
    email = Email.objects.create(
        message_id="<admin@example.org>",
        from_email="customer@example.org",
        to_email="support@example.com",
        subject="Admin view",
        received_at=timezone.now(),
    )

    assert "Admin view" in admin_web.get("/admin/emails/email/").content.decode()
    assert admin_web.get(f"/admin/emails/email/{email.pk}/change/").status_code == 200
