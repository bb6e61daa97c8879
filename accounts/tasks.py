"""Background work of accounts: password emails and session housekeeping."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

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
def password_email_send_task(*, user_id: int, token: str, kind: str) -> None:
    """Send the reset (or invitation) link. A token replaced since is not sent.

    Runs twice at worst (acks late): the same link twice, which is harmless.
    """
    from accounts.models import User
    from accounts.services.passwords import INVITE_KIND, reset_link, token_hash

    user = User.objects.filter(pk=user_id).first()
    if user is None or user.password_reset_token != token_hash(token):
        logger.info("password email skipped: token superseded or user gone (user %s)", user_id)
        return
    template = "invite" if kind == INVITE_KIND else "password_reset"
    context = {
        "user": user,
        "link": reset_link(token),
        "expires": user.password_reset_expires,
        "valid_minutes": settings.PASSWORD_RESET_TIMEOUT_SECONDS // 60,
        "valid_hours": settings.USER_INVITE_LIFETIME // 3600,
    }
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"accounts/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string(f"accounts/email/{template}.html", context), "text/html"
    )
    message.send()


@shared_task(soft_time_limit=600, time_limit=660)
def sessions_prune_task() -> None:
    """Delete expired sessions and refresh-token records (beat, daily)."""
    from accounts.services.sessions import sessions_prune

    deleted = sessions_prune()
    logger.info("sessions pruned: %s", deleted)
