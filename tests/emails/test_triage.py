"""Triage on arrival, offline (the AI assistant's local classifier; no network)."""

import pytest

from core.models import AuditEvent
from emails.models import Email
from emails.services import email_account_sync, email_triage
from tests.emails.helpers import account_for, message

pytestmark = [pytest.mark.django_db, pytest.mark.service]

COMPLAINT = (
    "Formal complaint: your service is terrible and I am furious. Nobody answered my calls "
    "for two weeks, this is unacceptable."
)


def test_synced_mail_is_triaged_after_commit(mailbox, imap, django_capture_on_commit_callbacks):
    account = account_for(mailbox)
    imap.append("INBOX", message(subject="Unacceptable", body=COMPLAINT))
    imap.append(
        "INBOX",
        message(subject="Renewal date", body="Hello, when is my policy renewal due? Thanks"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        email_account_sync(account_id=account.pk)

    complaint = Email.objects.get(subject="Unacceptable")
    inquiry = Email.objects.get(subject="Renewal date")
    assert complaint.category == "complaint"
    assert complaint.sentiment_label == "negative"
    assert -1 <= complaint.sentiment_score < 0
    assert complaint.ai_intent["category"] == "complaint"
    assert 50 < complaint.ai_intent["confidence"] <= 100  # a percentage, as in the spec
    assert complaint.priority in ("high", "urgent")
    assert inquiry.category == "renewal_inquiry"
    assert inquiry.sentiment_label in ("positive", "neutral")
    assert AuditEvent.objects.filter(action="email.triaged").count() == 2


def test_triage_runs_once_and_keeps_a_persons_category(mailbox, imap):
    account = account_for(mailbox)
    imap.append("INBOX", message(subject="Unacceptable", body=COMPLAINT))
    email_account_sync(account_id=account.pk)  # on-commit triage not run here
    email = Email.objects.get()
    Email.objects.filter(pk=email.pk).update(category="refund")

    first = email_triage(email_id=email.pk)
    second = email_triage(email_id=email.pk)

    email.refresh_from_db()
    assert (first, second) == (True, False)
    assert email.category == "refund"
    assert email.ai_intent["category"] == "complaint"
    assert AuditEvent.objects.filter(action="email.triaged").count() == 1
