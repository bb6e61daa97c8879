"""Mailbox sync: new messages of each folder, fetched in chunks, stored once.

Per folder a watermark (EmailFolderState: UIDVALIDITY + last UID stored). One sync:
1. log in (no transaction is open during network I/O) and SELECT the folder read-only;
2. a new UIDVALIDITY restarts the watermark at 0 (the server renumbered the folder);
3. `UID SEARCH UID n+1:*`, then `UID FETCH` of FETCH_CHUNK UIDs per round trip with
   `BODY.PEEK[]` (the server's \\Seen flags stay untouched);
4. per chunk: raw bytes to file storage (key = their SHA-256, so a rerun rewrites nothing),
   parse, then one transaction inserts the messages not yet stored (dedupe by Message-ID,
   across mailboxes) and moves the watermark forward (compare-and-set, never backwards).
A crash or a second run repeats at most one chunk and inserts nothing twice (unique
message_id + ignore_conflicts). Two syncs of one mailbox at once: the second skips (a lease).
"""

import datetime
import io
import logging
from dataclasses import dataclass
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.services import audit_log
from emails.models import Email, EmailAccount, EmailFolderState
from emails.parsing import ParsedMessage, parse_message
from emails.services.accounts import mail_server_for
from emails.tasks import email_triage_task
from emails.threading import thread_rows
from emails.transport import MailConnectionError, imap_connect
from files.storage import files_storage

logger = logging.getLogger(__name__)

# UIDs per UID FETCH round trip: 200 messages of ~50 KB is ~10 MB in memory at once, and one
# transaction per chunk keeps row locks short.
FETCH_CHUNK = 200
# The sync lease outlives the task's hard time limit, so a killed worker never blocks forever.
SYNC_LEASE_SECONDS = 900
RAW_PREFIX = "emails/raw"


@dataclass
class SyncResult:
    account_id: int
    fetched: int = 0
    created: int = 0
    skipped: bool = False
    error_code: str = ""

    def as_dict(self) -> dict:
        return {
            "account_id": self.account_id,
            "fetched": self.fetched,
            "created": self.created,
            "skipped": self.skipped,
            "error_code": self.error_code,
        }


def raw_key_for(sha256: str) -> str:
    return f"{RAW_PREFIX}/{sha256[:2]}/{sha256}.eml"


def _raw_store(raw: bytes, sha256: str) -> str:
    storage = files_storage()
    key = raw_key_for(sha256)
    if not storage.exists(key):
        storage.save(key, io.BytesIO(raw))
    return key


def _row_for(
    account: EmailAccount,
    parsed: ParsedMessage,
    *,
    key: str,
    size: int,
    internal_date: datetime.datetime | None,
) -> Email:
    received = internal_date or parsed.date or timezone.now()
    if timezone.is_naive(received):
        received = timezone.make_aware(received, datetime.UTC)
    return Email(
        message_id=parsed.message_id,
        account=account,
        direction=Email.Direction.INBOUND,
        from_email=parsed.from_email,
        from_name=parsed.from_name,
        to_email=", ".join(parsed.to),
        cc_emails=parsed.cc,
        bcc_emails=parsed.bcc,
        subject=parsed.subject,
        body_text=parsed.body_text,
        body_html=parsed.body_html,
        attachments=parsed.attachments,
        received_at=received,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        raw_key=key,
        raw_sha256=parsed.sha256,
        size_bytes=size,
        parse_warning=parsed.parse_warning,
        is_auto_reply=parsed.is_auto_reply,
        is_bulk=parsed.is_bulk,
    )


def _store_chunk(
    *, account: EmailAccount, state_id: int, uidvalidity: int, rows: list[Email], max_uid: int
) -> list[int]:
    """Insert the messages not stored yet and advance the watermark, in one transaction.

    Returns the ids of the rows this call created (for threading and triage after commit).
    """
    unique: dict[str, Email] = {}
    for row in rows:
        unique.setdefault(row.message_id, row)
    with transaction.atomic():
        existing = set(
            Email.objects.filter(message_id__in=list(unique)).values_list("message_id", flat=True)
        )
        new = [row for mid, row in unique.items() if mid not in existing]
        thread_rows(new)
        # ignore_conflicts: another mailbox's sync may insert the same message meanwhile.
        Email.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        created_ids = list(
            Email.objects.filter(
                message_id__in=[r.message_id for r in new], account=account
            ).values_list("id", flat=True)
        )
        for email_id in created_ids:  # triage once the rows are visible to the worker
            transaction.on_commit(partial(email_triage_task.delay, email_id=email_id))
        EmailFolderState.objects.filter(
            Q(last_uid__lt=max_uid), pk=state_id, uidvalidity=uidvalidity
        ).update(last_uid=max_uid, synced_at=timezone.now())
    return created_ids


def _sync_folder(client, account: EmailAccount, folder: str, result: SyncResult) -> list[int]:
    info = client.select_folder(folder, readonly=True)
    uidvalidity = int(info.get(b"UIDVALIDITY", 0))
    state, _ = EmailFolderState.objects.get_or_create(account=account, folder=folder)
    if state.uidvalidity != uidvalidity:
        # The server renumbered the folder (or this is the first sync): start again from UID
        # 1; messages already stored are recognised by their Message-ID.
        EmailFolderState.objects.filter(pk=state.pk).update(uidvalidity=uidvalidity, last_uid=0)
        if state.uidvalidity:
            logger.warning(
                "emails.sync uidvalidity changed",
                extra={"account_id": account.pk, "folder": folder},
            )
        state.uidvalidity, state.last_uid = uidvalidity, 0
    # `n:*` always matches the highest UID, even when it is below n: filter.
    uids = sorted(
        u for u in client.search(["UID", f"{state.last_uid + 1}:*"]) if u > state.last_uid
    )
    created: list[int] = []
    for start in range(0, len(uids), FETCH_CHUNK):
        chunk = uids[start : start + FETCH_CHUNK]
        fetched = client.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE"])
        rows: list[Email] = []
        for uid in chunk:
            data = fetched.get(uid) or {}
            raw = data.get(b"BODY[]")
            if raw is None:
                continue  # expunged between SEARCH and FETCH
            parsed = parse_message(raw)
            key = _raw_store(raw, parsed.sha256)
            rows.append(
                _row_for(
                    account, parsed, key=key, size=len(raw), internal_date=data.get(b"INTERNALDATE")
                )
            )
        result.fetched += len(rows)
        created += _store_chunk(
            account=account,
            state_id=state.pk,
            uidvalidity=uidvalidity,
            rows=rows,
            max_uid=chunk[-1],
        )
    return created


def email_account_sync(*, account_id: int) -> SyncResult:
    """Fetch every new message of the mailbox's folders; see the module docstring.

    Safe to run twice or concurrently (a lease skips the second) and to resume after a crash.
    On a login or network failure the mailbox gets status `error` and `last_error`.
    """
    result = SyncResult(account_id=account_id)
    lease = f"emails:sync:{account_id}"
    if not cache.add(lease, 1, timeout=SYNC_LEASE_SECONDS):
        result.skipped = True
        return result
    try:
        account = EmailAccount.objects.get(pk=account_id)
        if account.status == EmailAccount.Status.INACTIVE:
            result.skipped = True
            return result
        created: list[int] = []
        try:
            with imap_connect(mail_server_for(account)) as client:
                for folder in account.folders:
                    created += _sync_folder(client, account, folder, result)
        except MailConnectionError as exc:
            result.error_code = exc.code
            _sync_failed(account_id=account_id, code=exc.code, message=exc.message)
            return result
        except Exception as exc:  # IMAP protocol errors, a vanished folder, a dropped link
            result.error_code = "imap_sync_failed"
            _sync_failed(
                account_id=account_id,
                code="imap_sync_failed",
                message=f"Sync failed: {exc.__class__.__name__}",
            )
            logger.exception("emails.sync failed", extra={"account_id": account_id})
            return result
        result.created = len(created)
        _sync_succeeded(account_id=account_id, result=result)
        return result
    finally:
        cache.delete(lease)


def _sync_failed(*, account_id: int, code: str, message: str) -> None:
    with transaction.atomic():
        updated = (
            EmailAccount.objects.filter(pk=account_id)
            .exclude(status=EmailAccount.Status.ERROR, last_error=message)
            .update(
                status=EmailAccount.Status.ERROR,
                last_error=message[:500],
                updated_at=timezone.now(),
            )
        )
        if updated:
            audit_log(
                action="email_account.sync_failed",
                object_type="emails.emailaccount",
                object_id=account_id,
                changes={"code": code},
            )


def _sync_succeeded(*, account_id: int, result: SyncResult) -> None:
    with transaction.atomic():
        EmailAccount.objects.filter(pk=account_id).update(
            last_sync=timezone.now(), updated_at=timezone.now()
        )
        EmailAccount.objects.filter(pk=account_id, status=EmailAccount.Status.ERROR).update(
            status=EmailAccount.Status.ACTIVE, last_error=""
        )
        if result.created:
            audit_log(
                action="email_account.synced",
                object_type="emails.emailaccount",
                object_id=account_id,
                changes={"fetched": result.fetched, "created": result.created},
            )
