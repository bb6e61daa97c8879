"""Background work of accounts: password emails and session housekeeping."""

import logging
import smtplib

from celery import shared_task

logger = logging.getLogger(__name__)

# Transient SMTP trouble (connection refused, timeouts, 4xx) is retried; nothing else is.
_TRANSIENT = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
)


@shared_task(
    autoretry_for=_TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def password_email_send_task(*, user_id: int, kind: str) -> None:
    """Send the reset (or invitation) link. Receives the user's id, never the token: the
    service derives the link itself, and sends nothing for a link replaced or used since."""
    from accounts.services.passwords import password_email_send

    if not password_email_send(user_id=user_id, kind=kind):
        logger.info("password email skipped: link superseded or user gone (user %s)", user_id)


@shared_task(soft_time_limit=600, time_limit=660)
def sessions_prune_task() -> None:
    """Delete expired sessions and refresh-token records (beat, daily)."""
    from accounts.services.sessions import sessions_prune

    deleted = sessions_prune()
    logger.info("sessions pruned: %s", deleted)
