"""Payments: recorded by staff, or pushed by the payment gateway's webhook.

References are unique per source (database constraints): a gateway reference among gateway
rows, so a redelivered webhook finds the existing row and changes nothing; a staff-entered
or imported reference per case, so a double click changes nothing and a reference typed by
staff never collides with, blocks or reveals another case's payments. A gateway event whose
reference is already recorded for another case goes to reconciliation (UnmatchedPayment). When the payments cover the renewal amount
an open case becomes `renewed` and its scheduled reminders are cancelled.
"""

import datetime as dt
import hashlib
import hmac
import re
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.services import audit_log
from renewals import lifecycle
from renewals.errors import (
    CaseClosedError,
    PaymentDuplicateReferenceError,
    PaymentInvalidError,
    WebhookSignatureInvalidError,
)
from renewals.models import CaseEvent, Payment, RenewalCase, UnmatchedPayment
from renewals.services.events import case_event_add
from renewals.services.transitions import case_reminders_cancel, case_transition

if TYPE_CHECKING:
    from accounts.models import User


def payment_record_locked(
    *,
    case: RenewalCase,
    amount: Decimal,
    method: str,
    reference: str,
    paid_at: dt.datetime,
    source: str,
    actor: "User | None",
    auto_renew: bool = True,
) -> Payment:
    """Record a payment on a case the caller has locked (inside its transaction).

    Updates amount_paid / payment_status / method / date (no save of the case when
    auto_renew is False: the caller saves); renews an open case once it is covered.
    """
    if amount <= 0:
        raise PaymentInvalidError("The amount must be positive.", details={"amount": str(amount)})
    payment = Payment.objects.create(
        case=case,
        amount=amount,
        method=method or "",
        reference=reference or "",
        paid_at=paid_at,
        source=source,
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    case.amount_paid = (case.amount_paid or Decimal("0")) + amount
    covered = case.renewal_amount is None or case.amount_paid >= case.renewal_amount
    case.payment_status = (
        RenewalCase.PaymentStatus.COMPLETED if covered else RenewalCase.PaymentStatus.PARTIAL
    )
    case.payment_method = method or case.payment_method
    case.payment_date = paid_at
    case_event_add(
        case=case,
        kind=CaseEvent.Kind.PAYMENT_RECORDED,
        actor=actor,
        action=f"Payment of {amount} received" + (f" ({method})" if method else ""),
        details=f"Reference {reference}" if reference else "",
        new_value={
            "payment_id": payment.pk,
            "amount": str(amount),
            "amount_paid": str(case.amount_paid),
            "source": source,
        },
    )
    if not auto_renew:
        return payment
    fields = ["amount_paid", "payment_status", "payment_method", "payment_date", "updated_at"]
    if covered:
        case_reminders_cancel(case=case)
        if case.status in lifecycle.OPEN_STATUSES:
            fields += case_transition(
                case=case,
                target=lifecycle.Status.RENEWED,
                actor=actor,
                details="Renewal amount covered by payments",
            )
    if actor is not None:
        case.last_activity_at = timezone.now()
        fields.append("last_activity_at")
    case.save(update_fields=sorted(set(fields)))
    return payment


def _same_reference(*, case_id: int, source: str, reference: str) -> Payment | None:
    """The recorded payment a new one with this reference would repeat: any gateway row for
    a gateway reference; a row of the same case and source otherwise."""
    rows = Payment.objects.filter(source=source, reference=reference)
    if source != Payment.Source.GATEWAY:
        rows = rows.filter(case_id=case_id)
    return rows.order_by("pk").first()


def payment_record(
    *,
    case_id: int,
    actor: "User | None",
    amount: Decimal,
    method: str = "",
    reference: str = "",
    paid_at: dt.datetime | None = None,
    source: str = Payment.Source.MANUAL,
) -> tuple[Payment, bool]:
    """POST /cases/{id}/payments. Returns (payment, created).

    A reference already recorded with the same source on this case returns that payment
    (created=False). Staff and import references are only compared within the case, so
    they never answer with, or about, another case's payments; a gateway reference already
    recorded on another case raises PaymentDuplicateReferenceError. Closed cases refuse
    payments from staff (reopen first); the gateway's are always stored.
    """
    try:
        with transaction.atomic():
            case = RenewalCase.objects.select_for_update().get(pk=case_id)
            if reference:
                existing = _same_reference(case_id=case.pk, source=source, reference=reference)
                if existing is not None:
                    if existing.case_id != case.pk:
                        raise PaymentDuplicateReferenceError(details={"reference": reference})
                    return existing, False
            if source == Payment.Source.MANUAL and case.status in lifecycle.CLOSED_STATUSES:
                raise CaseClosedError(details={"status": case.status})
            payment = payment_record_locked(
                case=case,
                amount=amount,
                method=method,
                reference=reference,
                paid_at=paid_at or timezone.now(),
                source=source,
                actor=actor,
            )
    except IntegrityError as exc:  # a concurrent request stored the same reference first
        existing = _same_reference(case_id=case_id, source=source, reference=reference)
        if existing is not None and existing.case_id == case_id:
            return existing, False
        raise PaymentDuplicateReferenceError(details={"reference": reference}) from exc
    return payment, True


# --- Payment gateway webhook ------------------------------------------------------------------

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
SUCCESS_EVENTS = {"payment.succeeded", "payment.completed", "payment.captured"}
FAILURE_EVENTS = {"payment.failed"}
# A hex SHA-256 digest, ASCII only (a non-ASCII header never reaches the comparison).
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)
# Unix seconds, ASCII digits (str.isdigit() would also accept e.g. superscript digits).
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}", re.ASCII)


def webhook_signature_verify(
    *, body: bytes, signature: str, timestamp: str, now: float | None = None
) -> None:
    """Check a gateway request: `X-Signature` = hex HMAC-SHA256, keyed with
    PAYMENT_WEBHOOK_SECRET, of `<X-Signature-Timestamp>.<raw body>` (a `sha256=` prefix is
    allowed), the timestamp being unix seconds within PAYMENT_WEBHOOK_TOLERANCE_SECONDS of
    now (either way) so a captured request cannot be replayed later.

    Only a well-formed 64-digit hex signature is compared, as bytes, with
    hmac.compare_digest. Raises WebhookSignatureInvalidError (401) when no secret is
    configured, or the signature or timestamp is missing, malformed, stale or wrong.
    """
    secret = settings.PAYMENT_WEBHOOK_SECRET
    if not secret:
        raise WebhookSignatureInvalidError(details={"reason": "not_configured"})
    given = (signature or "").strip()
    if given[:7].lower() == "sha256=":
        given = given[7:]
    if not _HEX_DIGEST.fullmatch(given):
        raise WebhookSignatureInvalidError(details={"reason": "signature_malformed"})
    stamp = (timestamp or "").strip()
    if not _UNIX_SECONDS.fullmatch(stamp):
        raise WebhookSignatureInvalidError(details={"reason": "timestamp_missing"})
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookSignatureInvalidError(details={"reason": "timestamp_out_of_tolerance"})
    expected = hmac.new(secret.encode(), stamp.encode("ascii") + b"." + body, hashlib.sha256)
    if not hmac.compare_digest(expected.digest(), bytes.fromhex(given)):
        raise WebhookSignatureInvalidError(details={"reason": "signature_mismatch"})


def _match_case(*, case_number: str, policy_number: str) -> RenewalCase | None:
    if case_number:
        case = RenewalCase.objects.filter(case_number=case_number).first()
        if case is not None:
            return case
    if policy_number:
        qs = RenewalCase.objects.filter(policy__policy_number=policy_number)
        return (
            qs.filter(status__in=lifecycle.OPEN_STATUSES).order_by("-renewal_date").first()
            or qs.order_by("-renewal_date", "-id").first()
        )
    return None


def payment_webhook_process(*, event: dict[str, Any]) -> dict[str, Any]:
    """Apply one verified gateway event. Idempotent on the gateway's payment reference.

    Returns {"status": recorded|duplicate|unmatched|failed_recorded|ignored, ...}.
    """
    kind = event["event"]
    reference = event["reference"]
    if kind in FAILURE_EVENTS:
        case = _match_case(
            case_number=event.get("case_number", ""), policy_number=event.get("policy_number", "")
        )
        if case is None:
            return {"status": "ignored", "reason": "no matching case"}
        with transaction.atomic():
            case = RenewalCase.objects.select_for_update().get(pk=case.pk)
            if case.payment_status in (
                RenewalCase.PaymentStatus.COMPLETED,
                RenewalCase.PaymentStatus.FAILED,
            ):
                return {"status": "duplicate", "case_id": case.pk}
            case.payment_status = RenewalCase.PaymentStatus.FAILED
            case.save(update_fields=["payment_status", "updated_at"])
            case_event_add(
                case=case,
                kind=CaseEvent.Kind.UPDATED,
                actor=None,
                action="Payment failed at the gateway",
                details=str(event.get("failure_reason", ""))[:500],
                new_value={"payment_status": "failed", "reference": reference},
            )
        return {"status": "failed_recorded", "case_id": case.pk}
    if kind not in SUCCESS_EVENTS:
        return {"status": "ignored", "reason": f"event {kind} not handled"}

    if UnmatchedPayment.objects.filter(reference=reference).exists():
        return {"status": "duplicate", "unmatched": True}
    # Dedupe only against the gateway's own rows: a reference staff typed never drops it.
    existing = (
        Payment.objects.select_related("case__policy")
        .filter(source=Payment.Source.GATEWAY, reference=reference)
        .first()
    )
    paid_at = event.get("paid_at") or timezone.now()
    if existing is not None:
        if _event_names_case(event, existing.case):
            return {"status": "duplicate", "payment_id": existing.pk, "case_id": existing.case_id}
        # The same gateway reference for another case: staff reconcile it.
        return _unmatched_store(event=event, paid_at=paid_at, conflict_payment=existing)
    case = _match_case(
        case_number=event.get("case_number", ""), policy_number=event.get("policy_number", "")
    )
    if case is None:
        return _unmatched_store(event=event, paid_at=paid_at)
    payment, created = payment_record(
        case_id=case.pk,
        actor=None,
        amount=event["amount"],
        method=event.get("method", ""),
        reference=reference,
        paid_at=paid_at,
        source=Payment.Source.GATEWAY,
    )
    return {
        "status": "recorded" if created else "duplicate",
        "payment_id": payment.pk,
        "case_id": case.pk,
    }


def _event_names_case(event: dict[str, Any], case: RenewalCase) -> bool:
    """Does the event point at `case` (by case number, else policy number)? An event that
    names neither is taken as the same payment as the recorded one."""
    if event.get("case_number"):
        return bool(event["case_number"] == case.case_number)
    if event.get("policy_number"):
        return bool(event["policy_number"] == case.policy.policy_number)
    return True


def _unmatched_store(
    *, event: dict[str, Any], paid_at: Any, conflict_payment: Payment | None = None
) -> dict[str, Any]:
    """Keep a gateway payment for reconciliation in admin (no case, or a conflicting
    reference). Unique on the reference, so a redelivery answers `duplicate`."""
    reference = event["reference"]
    payload = dict(event.get("raw") or {})
    changes: dict[str, Any] = {"reference": reference, "amount": str(event["amount"])}
    if conflict_payment is not None:
        changes["conflict"] = {
            "payment_id": conflict_payment.pk,
            "case_id": conflict_payment.case_id,
        }
    try:
        with transaction.atomic():
            row = UnmatchedPayment.objects.create(
                reference=reference,
                case_reference=event.get("case_number") or event.get("policy_number") or "",
                amount=event["amount"],
                method=event.get("method", ""),
                paid_at=paid_at,
                payload=payload,
            )
            audit_log(
                action="payment.reference_conflict" if conflict_payment else "payment.unmatched",
                actor=None,
                obj=row,
                changes=changes,
            )
    except IntegrityError:
        return {"status": "duplicate", "unmatched": True}
    return {"status": "unmatched", "unmatched_payment_id": row.pk}


def unmatched_payment_resolve(
    *, unmatched_id: int, case_id: int, actor: "User"
) -> tuple[Payment, bool]:
    """Staff match a stored unmatched payment to a case (admin action)."""
    with transaction.atomic():
        row = UnmatchedPayment.objects.select_for_update().get(pk=unmatched_id)
        if row.status == UnmatchedPayment.Status.RESOLVED and row.resolved_case_id:
            existing = Payment.objects.get(source=Payment.Source.GATEWAY, reference=row.reference)
            return existing, False
        payment, created = payment_record(
            case_id=case_id,
            actor=actor,
            amount=row.amount,
            method=row.method,
            reference=row.reference,
            paid_at=row.paid_at or row.created_at,
            source=Payment.Source.GATEWAY,
        )
        row.status = UnmatchedPayment.Status.RESOLVED
        row.resolved_case_id = case_id
        row.save(update_fields=["status", "resolved_case", "updated_at"])
        audit_log(
            action="payment.unmatched_resolved",
            actor=actor,
            obj=row,
            changes={"case_id": case_id, "payment_id": payment.pk},
        )
    return payment, created


def unmatched_payment_ignore(*, unmatched_id: int, actor: "User", reason: str = "") -> bool:
    """Staff set aside an open unmatched payment (not ours, test event...). Compare-and-set:
    returns False when it was no longer open."""
    with transaction.atomic():
        updated = UnmatchedPayment.objects.filter(
            pk=unmatched_id, status=UnmatchedPayment.Status.OPEN
        ).update(status=UnmatchedPayment.Status.IGNORED, updated_at=timezone.now())
        if updated:
            audit_log(
                action="payment.unmatched_ignored",
                actor=actor,
                object_type="renewals.unmatchedpayment",
                object_id=unmatched_id,
                changes={"reason": reason} if reason else {},
            )
    return bool(updated)
