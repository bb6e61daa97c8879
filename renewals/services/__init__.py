"""Every write of renewals. Import from here: `from renewals.services import case_update`."""

from renewals.services.cache import dashboard_cache_bump, dashboard_cache_version
from renewals.services.cases import (
    CONTACT_CHANNELS,
    CONTACT_OUTCOMES,
    case_assign,
    case_bulk_assign,
    case_contact_attempt_record,
    case_create,
    case_escalate,
    case_note_add,
    case_reopen,
    case_update,
)
from renewals.services.events import case_event_add
from renewals.services.imports import (
    ImportBatch,
    ImportResult,
    ImportRow,
    import_batch_open,
    import_rows,
)
from renewals.services.numbering import case_number_format, case_numbers_allocate
from renewals.services.payments import (
    payment_record,
    payment_webhook_process,
    unmatched_payment_ignore,
    unmatched_payment_resolve,
    webhook_signature_verify,
)
from renewals.services.records import (
    customer_communication_preferences_update,
    customer_create,
    customer_update,
    policy_create,
    policy_update,
)
from renewals.services.reminders import (
    case_reminder_email_send,
    case_reminder_send,
    case_reminders_run,
    case_reminders_schedule,
    cases_auto_escalate,
    cases_lapse,
)
from renewals.services.transitions import case_reminders_cancel, case_transition

__all__ = [
    "CONTACT_CHANNELS",
    "CONTACT_OUTCOMES",
    "ImportBatch",
    "ImportResult",
    "ImportRow",
    "case_assign",
    "case_bulk_assign",
    "case_contact_attempt_record",
    "case_create",
    "case_escalate",
    "case_event_add",
    "case_note_add",
    "case_number_format",
    "case_numbers_allocate",
    "case_reminder_email_send",
    "case_reminder_send",
    "case_reminders_cancel",
    "case_reminders_run",
    "case_reminders_schedule",
    "case_reopen",
    "case_transition",
    "case_update",
    "cases_auto_escalate",
    "cases_lapse",
    "customer_communication_preferences_update",
    "customer_create",
    "customer_update",
    "dashboard_cache_bump",
    "dashboard_cache_version",
    "import_batch_open",
    "import_rows",
    "payment_record",
    "payment_webhook_process",
    "policy_create",
    "policy_update",
    "unmatched_payment_ignore",
    "unmatched_payment_resolve",
    "webhook_signature_verify",
]
