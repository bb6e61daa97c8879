"""Mailbox sync against a real Dovecot: watermark, dedupe, UIDVALIDITY, malformed mail."""

import pytest
from django.utils import timezone

from emails.models import Email, EmailAccount, EmailFolderState
from emails.selectors import email_accounts_due_for_sync
from emails.services import email_account_sync
from files.storage import files_storage
from tests.emails.helpers import account_for, message

pytestmark = [pytest.mark.django_db, pytest.mark.service]


def test_sync_endpoint_stores_new_messages_without_touching_seen_flags(admin_client, mailbox, imap):
    account = account_for(mailbox)
    raw = message(
        subject="Renewal question", html="<p onclick='x()'>Hi<script>alert(1)</script></p>"
    )
    imap.append("INBOX", raw)
    imap.append("INBOX", message(subject="Second"))

    response = admin_client.post(f"/api/v1/email-accounts/{account.pk}/sync")

    assert response.status_code == 202, response.content
    emails = list(Email.objects.order_by("id"))
    assert [e.subject for e in emails] == ["Renewal question", "Second"]
    first = emails[0]
    assert first.account_id == account.pk
    assert first.from_email == "customer@example.org"
    assert first.to_email == "support@example.com"
    assert first.body_text.strip() == "Hello, when is my renewal due?"
    assert "script" not in first.body_html
    assert "onclick" not in first.body_html
    assert "<p>Hi</p>" in first.body_html
    assert first.parse_warning == ""
    with files_storage().open(first.raw_key) as fh:
        assert fh.read() == raw
    imap.select_folder("INBOX", readonly=True)
    assert all(b"\\Seen" not in flags for flags in imap.get_flags(imap.search("ALL")).values())
    account.refresh_from_db()
    assert account.last_sync is not None
    assert account.status == "active"


def test_a_second_sync_fetches_only_what_is_new_and_creates_nothing_twice(mailbox, imap):
    account = account_for(mailbox)
    imap.append("INBOX", message(subject="one"))
    imap.append("INBOX", message(subject="two"))

    first = email_account_sync(account_id=account.pk)
    again = email_account_sync(account_id=account.pk)
    imap.append("INBOX", message(subject="three"))
    third = email_account_sync(account_id=account.pk)

    state = EmailFolderState.objects.get(account=account, folder="INBOX")
    assert (first.fetched, first.created) == (2, 2)
    assert (again.fetched, again.created) == (0, 0)
    assert (third.fetched, third.created) == (1, 1)
    assert state.last_uid == 3
    assert Email.objects.count() == 3


def test_messages_are_fetched_in_chunks(mailbox, imap, monkeypatch):
    monkeypatch.setattr("emails.services.sync.FETCH_CHUNK", 2)
    account = account_for(mailbox)
    for n in range(5):
        imap.append("INBOX", message(subject=f"m{n}"))

    result = email_account_sync(account_id=account.pk)

    assert result.created == 5
    assert sorted(Email.objects.values_list("subject", flat=True)) == [f"m{n}" for n in range(5)]


def test_a_message_in_two_mailboxes_is_one_row(mailbox, imap, dovecot, smtp_server):
    from imapclient import IMAPClient

    from tests.emails.conftest import Mailbox

    email, password = dovecot.new_user()
    other = Mailbox(
        email=email,
        password=password,
        imap_port=dovecot.port,
        smtp_port=smtp_server.port,
    )
    raw = message(subject="cc'd to both")
    imap.append("INBOX", raw)
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(other.email, other.password)
        client.append("INBOX", raw)
    a, b = account_for(mailbox), account_for(other)

    email_account_sync(account_id=a.pk)
    result = email_account_sync(account_id=b.pk)

    assert result.fetched == 1
    assert result.created == 0
    assert Email.objects.count() == 1


def test_a_message_without_message_id_is_deduplicated_by_its_content(mailbox, imap):
    account = account_for(mailbox)
    raw = message(subject="no id", message_id=None)
    imap.append("INBOX", raw)
    imap.append("INBOX", raw)

    result = email_account_sync(account_id=account.pk)

    email = Email.objects.get()
    assert result.fetched == 2
    assert email.message_id == f"sha256:{email.raw_sha256}"


def test_a_uidvalidity_change_resyncs_without_duplicates(mailbox, imap):
    account = account_for(mailbox, folders=["Renewals"])
    imap.create_folder("Renewals")
    kept = [message(subject="a"), message(subject="b")]
    for raw in kept:
        imap.append("Renewals", raw)
    email_account_sync(account_id=account.pk)
    old = EmailFolderState.objects.get(account=account).uidvalidity
    # The server renumbers the folder: same messages, new UIDVALIDITY, plus one new message.
    imap.delete_folder("Renewals")
    imap.create_folder("Renewals")
    for raw in [*kept, message(subject="c")]:
        imap.append("Renewals", raw)

    result = email_account_sync(account_id=account.pk)

    state = EmailFolderState.objects.get(account=account)
    assert state.uidvalidity != old
    assert state.last_uid == 3
    assert (result.fetched, result.created) == (3, 1)
    assert sorted(Email.objects.values_list("subject", flat=True)) == ["a", "b", "c"]


def test_a_malformed_message_is_stored_with_a_parse_warning(mailbox, imap):
    account = account_for(mailbox)
    broken = (
        b"From: someone@example.org\r\nSubject: broken mime\r\nMessage-ID: <broken@example.org>\r\n"
        b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n--zz\r\n'
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nstill readable\r\n"
    )
    imap.append("INBOX", broken)
    imap.append("INBOX", message(subject="fine"))

    result = email_account_sync(account_id=account.pk)

    email = Email.objects.get(message_id="<broken@example.org>")
    assert result.created == 2
    assert "LookupError" in email.parse_warning
    assert "still readable" in email.body_text


def test_non_utf8_charsets_and_encoded_words_are_decoded(mailbox, imap):
    account = account_for(mailbox)
    raw = (
        b"From: =?iso-8859-1?q?Jos=E9_P=E9rez?= <jose@example.org>\r\nTo: support@example.com\r\n"
        b"Subject: =?utf-8?b?UmVub3ZhY2nDs24=?=\r\nMessage-ID: <latin@example.org>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nP\xf3liza vencida\r\n"
    )
    imap.append("INBOX", raw)

    email_account_sync(account_id=account.pk)

    email = Email.objects.get()
    assert email.from_name == "José Pérez"
    assert email.subject == "Renovación"
    assert email.body_text.strip() == "Póliza vencida"


@pytest.mark.parametrize(
    ("headers", "auto", "bulk"),
    [
        ({"Auto-Submitted": "auto-replied"}, True, False),
        ({"X-Auto-Response-Suppress": "All"}, True, False),
        ({"Precedence": "bulk"}, False, True),
        ({"List-Id": "<news.example.org>"}, False, True),
        ({"Auto-Submitted": "no"}, False, False),
    ],
)
def test_auto_replies_and_bulk_mail_are_flagged(mailbox, imap, headers, auto, bulk):
    account = account_for(mailbox)
    imap.append("INBOX", message(headers=headers))

    email_account_sync(account_id=account.pk)

    email = Email.objects.get()
    assert (email.is_auto_reply, email.is_bulk) == (auto, bulk)


def test_a_failed_login_marks_the_mailbox_in_error_until_a_sync_succeeds(mailbox, imap):
    account = account_for(mailbox, password="wrong")

    failed = email_account_sync(account_id=account.pk)
    account.refresh_from_db()
    status_after_failure, error = account.status, account.last_error
    EmailAccount.objects.filter(pk=account.pk).update(password_encrypted=mailbox.password)
    ok = email_account_sync(account_id=account.pk)
    account.refresh_from_db()

    assert failed.error_code == "imap_auth_failed"
    assert status_after_failure == "error"
    assert "refused" in error
    assert ok.error_code == ""
    assert account.status == "active"
    assert account.last_error == ""


def test_the_beat_picks_mailboxes_whose_interval_has_passed(mailbox):
    now = timezone.now()
    never = account_for(mailbox)
    recent = account_for(mailbox, email="b@example.com", sync_interval=10)
    stale = account_for(mailbox, email="c@example.com", sync_interval=10)
    manual = account_for(mailbox, email="d@example.com", auto_sync=False)
    off = account_for(mailbox, email="e@example.com", status="inactive")
    EmailAccount.objects.filter(pk=recent.pk).update(last_sync=now - timezone.timedelta(minutes=5))
    EmailAccount.objects.filter(pk=stale.pk).update(last_sync=now - timezone.timedelta(minutes=11))

    due = email_accounts_due_for_sync(now=now)

    assert sorted(due) == sorted([never.pk, stale.pk])
    assert manual.pk not in due
    assert off.pk not in due


def test_a_sync_already_running_is_skipped(mailbox):
    from django.core.cache import cache

    account = account_for(mailbox)
    cache.add(f"emails:sync:{account.pk}", 1, timeout=60)

    result = email_account_sync(account_id=account.pk)

    assert result.skipped is True
