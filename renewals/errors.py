"""Domain errors of renewals; codes are API contracts (never rename one)."""

from intelipro.api.errors import DomainError


class CaseInvalidTransitionError(DomainError):
    code = "case_invalid_transition"
    status_code = 409
    message = "This status change is not allowed."


class CaseClosedError(DomainError):
    code = "case_closed"
    status_code = 409
    message = "The case is closed; a manager must reopen it first."


class CaseDuplicateOpenError(DomainError):
    code = "case_duplicate_open"
    status_code = 409
    message = "This policy term already has an open renewal case."


class CaseLostReasonRequiredError(DomainError):
    code = "case_lost_reason_required"
    status_code = 400
    message = "Closing a case as lost needs a reason."


class CaseAssigneeInvalidError(DomainError):
    code = "case_assignee_invalid"
    status_code = 400
    message = "The user cannot be assigned renewal cases."


class CaseEscalationTargetInvalidError(DomainError):
    code = "case_escalation_target_invalid"
    status_code = 400
    message = "The case cannot be escalated to this user."


class CaseReopenForbiddenError(DomainError):
    code = "case_reopen_forbidden"
    status_code = 403
    message = "Only a manager or an admin may reopen a closed case."


class PaymentDuplicateReferenceError(DomainError):
    code = "payment_duplicate_reference"
    status_code = 409
    message = "A payment with this reference is already recorded on another case."


class PaymentInvalidError(DomainError):
    code = "payment_invalid"
    status_code = 400
    message = "The payment is invalid."


class WebhookSignatureInvalidError(DomainError):
    code = "webhook_signature_invalid"
    status_code = 401
    message = "The webhook signature is missing or wrong."


class WebhookPayloadInvalidError(DomainError):
    code = "webhook_payload_invalid"
    status_code = 400
    message = "The webhook body is not a valid payment event."


class PolicyNotFoundError(DomainError):
    code = "policy_not_found"
    status_code = 400
    message = "No such policy."


class CaseAssignForbiddenError(DomainError):
    """Agents may not reassign cases (POST /cases/{id}/assign, /cases/bulk-assign)."""

    code = "case_assign_forbidden"
    status_code = 403
    message = "Agents cannot reassign cases; escalate instead."


class CaseCreateAssigneeForbiddenError(DomainError):
    """An agent opening a case (POST /cases) may only assign it to themselves."""

    code = "forbidden"
    status_code = 403
    message = "Agents may only assign a new case to themselves."
