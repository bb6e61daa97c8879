"""Triage on arrival: category, sentiment, intent and priority from the AI assistant's
classify service (offline `local` provider by default), run in a task after the email's row
is committed (emails.tasks.email_triage_task)."""

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction

from ai_assistant.errors import AIDisabledError, AIFeatureDisabledError
from ai_assistant.services import ai_classify
from core.services import audit_log
from emails.models import Email

logger = logging.getLogger(__name__)

PRIORITY_ORDER = ["low", "medium", "high", "urgent"]


def email_triage(*, email_id: int) -> bool:
    """Classify one inbound email once; returns whether it changed anything.

    Idempotent: an email already triaged (`ai_intent` set) is left alone, checked again
    under the row lock after the (slow) classification. The AI call runs outside any
    transaction. A complaint with negative sentiment gets priority high at least.
    """
    email = Email.objects.filter(pk=email_id, ai_intent__isnull=True).first()
    if email is None:
        return False
    try:
        result = ai_classify(text=email.body_text, subject=email.subject, email_id=email.pk)
    except (AIDisabledError, AIFeatureDisabledError):
        logger.info("emails.triage skipped: AI classify is off", extra={"email_id": email_id})
        return False
    with transaction.atomic():
        email = Email.objects.select_for_update().get(pk=email_id)
        if email.ai_intent is not None:
            return False
        changes = _apply(email, result)
        email.save(update_fields=[*changes, "updated_at"])
        audit_log(action="email.triaged", obj=email, changes=changes)
    return True


def _apply(email: Email, result: dict[str, Any]) -> dict[str, Any]:
    category = str(result["category"])
    score = max(-1.0, min(1.0, float(result["sentiment"]["score"])))
    label = str(result["sentiment"]["label"])
    priority = str(result.get("priority") or email.priority)
    if category == Email.Category.COMPLAINT and label == "negative":
        priority = max(priority, "high", key=PRIORITY_ORDER.index)
    changes: dict[str, Any] = {
        "ai_intent": {
            "category": category,
            # The spec's example shows the confidence as a percentage (94.5).
            "confidence": round(float(result["category_confidence"]) * 100, 1),
        },
        "sentiment_score": Decimal(str(round(score, 2))),
        "sentiment_label": label,
    }
    if not email.category:  # a person's choice is never overwritten
        changes["category"] = category
    if email.priority == Email.Priority.MEDIUM and priority != email.priority:
        changes["priority"] = priority  # medium is the default: a suggestion replaces it
    for field, value in changes.items():
        setattr(email, field, value)
    return changes
