"""Shapes of the renewals API, as the spec writes them (money as JSON numbers).

Output serializers declare their fields (so the OpenAPI schema is exact) and build rows with
a plain `to_representation` (list pages are hot paths: no per-field serializer machinery).
"""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from core.formats import iso_datetime
from intelipro.api.fields import StrictCharField
from renewals import lifecycle
from renewals.models import CaseEvent, Customer, Payment, Policy, RenewalCase
from renewals.payloads import (
    branch_ref,
    case_list_item,
    money,
    policy_type_label,
    timeline_entry,
    user_ref,
)
from renewals.services import CONTACT_CHANNELS, CONTACT_OUTCOMES

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": False}


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StrictCharField()


class UserRefEmailSerializer(UserRefSerializer):
    email = serializers.EmailField()


# --- Cases ---------------------------------------------------------------------------------


class CaseListPolicySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    policy_number = StrictCharField()
    customer_name = StrictCharField()
    policy_type = StrictCharField(help_text="Display label, e.g. `Auto`.")


class CaseListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case_number = StrictCharField()
    policy = CaseListPolicySerializer()
    status = serializers.ChoiceField(choices=lifecycle.Status.choices)
    priority = serializers.ChoiceField(choices=lifecycle.Priority.choices)
    renewal_amount = serializers.DecimalField(allow_null=True, **MONEY)
    payment_status = serializers.ChoiceField(choices=RenewalCase.PaymentStatus.choices)
    assigned_to = UserRefSerializer(allow_null=True)
    renewal_date = serializers.DateField()
    created_at = serializers.DateTimeField()

    def to_representation(self, case: RenewalCase) -> dict[str, Any]:
        policy = case.policy
        assignee = case.assigned_to
        return case_list_item(
            {
                "id": case.pk,
                "case_number": case.case_number,
                "policy_id": policy.pk,
                "policy__policy_number": policy.policy_number,
                "policy__policy_type": policy.policy_type,
                "policy__customer__first_name": policy.customer.first_name,
                "policy__customer__last_name": policy.customer.last_name,
                "status": case.status,
                "priority": case.priority,
                "renewal_amount": case.renewal_amount,
                "payment_status": case.payment_status,
                "assigned_to_id": case.assigned_to_id,
                "assigned_to__first_name": assignee.first_name if assignee else None,
                "assigned_to__last_name": assignee.last_name if assignee else None,
                "assigned_to__email": assignee.email if assignee else None,
                "renewal_date": case.renewal_date,
                "created_at": case.created_at,
            }
        )


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StrictCharField()
    email = StrictCharField(allow_blank=True)
    phone = StrictCharField(allow_blank=True)


class BranchRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = StrictCharField()
    name = StrictCharField()


class CaseDetailPolicySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    policy_number = StrictCharField()
    customer = CustomerRefSerializer()
    policy_type = StrictCharField()
    premium_amount = serializers.DecimalField(**MONEY)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    renewal_date = serializers.DateField(allow_null=True)
    grace_period_days = serializers.IntegerField()
    status = StrictCharField()
    branch = BranchRefSerializer(allow_null=True)


class TimelineEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateTimeField()
    action = StrictCharField()
    user = StrictCharField(help_text="The person's name, or `System`.")
    details = StrictCharField(allow_blank=True)
    type = serializers.ChoiceField(choices=CaseEvent.Kind.choices)
    old_value = serializers.JSONField(allow_null=True)
    new_value = serializers.JSONField(allow_null=True)


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StrictCharField()
    url = StrictCharField()
    uploaded_at = serializers.DateTimeField()


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    method = StrictCharField(allow_blank=True)
    reference = StrictCharField(allow_blank=True)
    paid_at = serializers.DateTimeField()
    # The metaclass pops declared fields off the class, so `source` shadows nothing at run time.
    source = serializers.ChoiceField(choices=Payment.Source.choices)  # type: ignore[assignment]
    created_at = serializers.DateTimeField()

    def to_representation(self, payment: Payment) -> dict[str, Any]:
        return {
            "id": payment.pk,
            "amount": money(payment.amount),
            "method": payment.method,
            "reference": payment.reference,
            "paid_at": iso_datetime(payment.paid_at),
            "source": payment.source,
            "created_at": iso_datetime(payment.created_at),
        }


class CaseDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case_number = StrictCharField()
    policy = CaseDetailPolicySerializer()
    status = serializers.ChoiceField(choices=lifecycle.Status.choices)
    priority = serializers.ChoiceField(choices=lifecycle.Priority.choices)
    renewal_date = serializers.DateField()
    renewal_amount = serializers.DecimalField(allow_null=True, **MONEY)
    amount_paid = serializers.DecimalField(**MONEY)
    payment_status = serializers.ChoiceField(choices=RenewalCase.PaymentStatus.choices)
    payment_method = StrictCharField(allow_blank=True)
    payment_date = serializers.DateTimeField(allow_null=True)
    assigned_to = UserRefEmailSerializer(allow_null=True)
    escalated_to = UserRefEmailSerializer(allow_null=True)
    escalation_reason = StrictCharField(allow_blank=True)
    escalated_at = serializers.DateTimeField(allow_null=True)
    communication_attempts = serializers.IntegerField()
    last_contact_date = serializers.DateTimeField(allow_null=True)
    notes = StrictCharField(allow_blank=True)
    lost_reason = StrictCharField(allow_blank=True)
    lost_reason_detail = StrictCharField(allow_blank=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    batch_id = serializers.IntegerField(allow_null=True)
    allowed_transitions = serializers.ListField(child=StrictCharField())
    timeline = TimelineEntrySerializer(many=True)
    payments = PaymentSerializer(many=True)
    documents = DocumentSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, case: RenewalCase) -> dict[str, Any]:
        policy = case.policy
        customer = policy.customer
        return {
            "id": case.pk,
            "case_number": case.case_number,
            "policy": {
                "id": policy.pk,
                "policy_number": policy.policy_number,
                "customer": {
                    "id": customer.pk,
                    "name": customer.full_name,
                    "email": customer.email,
                    "phone": customer.phone,
                },
                "policy_type": policy_type_label(policy.policy_type),
                "premium_amount": money(policy.premium_amount),
                "start_date": policy.start_date.isoformat(),
                "end_date": policy.end_date.isoformat(),
                "renewal_date": policy.renewal_date.isoformat() if policy.renewal_date else None,
                "grace_period_days": policy.grace_period_days,
                "status": policy.status,
                "branch": branch_ref(policy.branch),
            },
            "status": case.status,
            "priority": case.priority,
            "renewal_date": case.renewal_date.isoformat(),
            "renewal_amount": money(case.renewal_amount),
            "amount_paid": money(case.amount_paid),
            "payment_status": case.payment_status,
            "payment_method": case.payment_method,
            "payment_date": iso_datetime(case.payment_date),
            "assigned_to": user_ref(case.assigned_to, email=True),
            "escalated_to": user_ref(case.escalated_to, email=True),
            "escalation_reason": case.escalation_reason,
            "escalated_at": iso_datetime(case.escalated_at),
            "communication_attempts": case.communication_attempts,
            "last_contact_date": iso_datetime(case.last_contact_date),
            "notes": case.notes,
            "lost_reason": case.lost_reason,
            "lost_reason_detail": case.lost_reason_detail,
            "closed_at": iso_datetime(case.closed_at),
            "batch_id": case.batch_id,
            "allowed_transitions": sorted(lifecycle.TRANSITIONS.get(case.status, ())),
            "timeline": [timeline_entry(e) for e in case.events.all()],
            "payments": [PaymentSerializer().to_representation(p) for p in case.payments.all()],
            "documents": self.context.get("documents", []),
            "created_at": iso_datetime(case.created_at),
            "updated_at": iso_datetime(case.updated_at),
        }


class CaseCreateInputSerializer(serializers.Serializer):
    policy_id = serializers.IntegerField(required=False)
    policy_number = StrictCharField(required=False, max_length=100)
    priority = serializers.ChoiceField(
        choices=lifecycle.Priority.choices, default=lifecycle.Priority.MEDIUM
    )
    assigned_to = serializers.IntegerField(required=False, allow_null=True)
    renewal_amount = serializers.DecimalField(required=False, min_value=Decimal("0"), **MONEY)
    renewal_date = serializers.DateField(
        required=False, help_text="Defaults to the policy's renewal (or end) date."
    )
    notes = StrictCharField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("policy_id") and not attrs.get("policy_number"):
            raise serializers.ValidationError({"policy_id": ["Give policy_id or policy_number."]})
        return attrs


class CaseUpdateInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=lifecycle.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=lifecycle.Priority.choices, required=False)
    payment_status = serializers.ChoiceField(
        choices=RenewalCase.PaymentStatus.choices, required=False
    )
    payment_method = StrictCharField(required=False, max_length=50, allow_blank=True)
    payment_date = serializers.DateTimeField(required=False, allow_null=True)
    renewal_amount = serializers.DecimalField(required=False, min_value=Decimal("0"), **MONEY)
    notes = StrictCharField(required=False, allow_blank=True)
    lost_reason = serializers.ChoiceField(
        choices=lifecycle.LostReason.choices, required=False, allow_blank=True
    )
    lost_reason_detail = StrictCharField(required=False, allow_blank=True)


class CaseAssignInputSerializer(serializers.Serializer):
    assigned_to = serializers.IntegerField()
    notes = StrictCharField(required=False, allow_blank=True, default="")


class CaseEscalateInputSerializer(serializers.Serializer):
    escalated_to = serializers.IntegerField()
    reason = StrictCharField(max_length=2000)
    priority = serializers.ChoiceField(choices=lifecycle.Priority.choices, required=False)


class CaseNoteInputSerializer(serializers.Serializer):
    note = StrictCharField(max_length=10000, required=False)
    notes = StrictCharField(max_length=10000, required=False, help_text="Alias of note.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        text = (attrs.get("note") or attrs.get("notes") or "").strip()
        if not text:
            raise serializers.ValidationError({"note": ["This field is required."]})
        return {"note": text}


class CaseNoteSerializer(TimelineEntrySerializer):
    pass


class ContactAttemptInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=CONTACT_CHANNELS)
    outcome = serializers.ChoiceField(choices=CONTACT_OUTCOMES)
    notes = StrictCharField(required=False, allow_blank=True, default="")
    contacted_at = serializers.DateTimeField(required=False)


class PaymentInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)
    method = StrictCharField(required=False, allow_blank=True, max_length=50, default="")
    reference = StrictCharField(required=False, allow_blank=True, max_length=120, default="")
    paid_at = serializers.DateTimeField(required=False)


class PaymentResultSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    created = serializers.BooleanField()
    case = CaseListSerializer()


class CaseReopenInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000)


class BulkAssignFilterSerializer(serializers.Serializer):
    status = StrictCharField(required=False)
    priority = StrictCharField(required=False)
    assigned_to = StrictCharField(required=False)
    search = StrictCharField(required=False)
    policy_type = StrictCharField(required=False)
    branch = serializers.IntegerField(required=False)
    batch_id = serializers.IntegerField(required=False)


class BulkAssignInputSerializer(serializers.Serializer):
    case_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=10000
    )
    filter = BulkAssignFilterSerializer(
        required=False, help_text="Same filters as GET /cases, instead of case_ids."
    )
    assigned_to = serializers.IntegerField(required=False)
    agent_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=200,
        help_text="Round-robin over these users, in this order.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("case_ids") and attrs.get("filter") is None:
            raise serializers.ValidationError({"case_ids": ["Give case_ids or filter."]})
        if not attrs.get("assigned_to") and not attrs.get("agent_ids"):
            raise serializers.ValidationError({"assigned_to": ["Give assigned_to or agent_ids."]})
        return attrs


class BulkAssignResultSerializer(serializers.Serializer):
    matched = serializers.IntegerField()
    assigned = serializers.IntegerField()
    skipped = serializers.IntegerField()
    assignments = serializers.DictField(child=serializers.IntegerField())


# --- Customers, policies, branches ---------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer):
    name = StrictCharField(source="full_name", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "customer_code",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "date_of_birth",
            "address",
            "kyc_status",
            "communication_preferences",
            "created_at",
            "updated_at",
        ]


class CaseBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case_number = StrictCharField()
    status = StrictCharField()
    priority = StrictCharField()
    renewal_date = serializers.DateField()
    renewal_amount = serializers.DecimalField(allow_null=True, **MONEY)
    payment_status = StrictCharField()
    assigned_to = UserRefSerializer(allow_null=True)

    def to_representation(self, case: RenewalCase) -> dict[str, Any]:
        return {
            "id": case.pk,
            "case_number": case.case_number,
            "status": case.status,
            "priority": case.priority,
            "renewal_date": case.renewal_date.isoformat(),
            "renewal_amount": money(case.renewal_amount),
            "payment_status": case.payment_status,
            "assigned_to": user_ref(case.assigned_to),
        }


class PolicySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    policy_number = StrictCharField()
    customer = UserRefSerializer(help_text="{id, name} of the customer.")
    policy_type = StrictCharField()
    premium_amount = serializers.DecimalField(**MONEY)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    status = StrictCharField()
    renewal_date = serializers.DateField(allow_null=True)
    grace_period_days = serializers.IntegerField()
    agent = UserRefSerializer(allow_null=True)
    branch = BranchRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, policy: Policy) -> dict[str, Any]:
        return {
            "id": policy.pk,
            "policy_number": policy.policy_number,
            "customer": {"id": policy.customer_id, "name": policy.customer.full_name},
            "policy_type": policy_type_label(policy.policy_type),
            "premium_amount": money(policy.premium_amount),
            "start_date": policy.start_date.isoformat(),
            "end_date": policy.end_date.isoformat(),
            "status": policy.status,
            "renewal_date": policy.renewal_date.isoformat() if policy.renewal_date else None,
            "grace_period_days": policy.grace_period_days,
            "agent": user_ref(policy.agent),
            "branch": branch_ref(policy.branch),
            "created_at": iso_datetime(policy.created_at),
        }


class PolicyDetailSerializer(PolicySerializer):
    cases = CaseBriefSerializer(many=True)

    def to_representation(self, policy: Policy) -> dict[str, Any]:
        data = super().to_representation(policy)
        data["cases"] = [CaseBriefSerializer().to_representation(c) for c in self.context["cases"]]
        return data


class CustomerPolicySerializer(PolicySerializer):
    pass


class CustomerDetailSerializer(CustomerSerializer):
    policies = PolicySerializer(many=True, read_only=True, source="visible_policies")
    cases = CaseBriefSerializer(many=True, read_only=True, source="visible_cases")

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "kyc_documents", "policies", "cases"]


class BranchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = StrictCharField()
    name = StrictCharField()
    region = StrictCharField(allow_blank=True)
    manager = UserRefSerializer(allow_null=True)

    def to_representation(self, branch: Any) -> dict[str, Any]:
        return {
            "id": branch.pk,
            "code": branch.code,
            "name": branch.name,
            "region": branch.region,
            "manager": user_ref(branch.manager),
        }


# --- Webhook, dashboard ---------------------------------------------------------------------


class PaymentWebhookInputSerializer(serializers.Serializer):
    event = StrictCharField(
        max_length=60, help_text="payment.succeeded | payment.completed | payment.failed"
    )
    reference = StrictCharField(max_length=120, help_text="The gateway's payment id.")
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)
    currency = StrictCharField(required=False, max_length=3)
    method = StrictCharField(required=False, allow_blank=True, max_length=50, default="")
    case_number = StrictCharField(required=False, allow_blank=True, default="")
    policy_number = StrictCharField(required=False, allow_blank=True, default="")
    paid_at = serializers.DateTimeField(required=False)
    failure_reason = StrictCharField(required=False, allow_blank=True)


class PaymentWebhookResultSerializer(serializers.Serializer):
    status = StrictCharField(
        help_text="recorded | duplicate | unmatched | failed_recorded | ignored"
    )
    payment_id = serializers.IntegerField(required=False)
    case_id = serializers.IntegerField(required=False)
    unmatched_payment_id = serializers.IntegerField(required=False)


class DashboardQuerySerializer(serializers.Serializer):
    date_range = serializers.ChoiceField(
        choices=["week", "month", "custom"], required=False, allow_blank=True
    )
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    policy_type = serializers.ChoiceField(
        choices=["all", *Policy.PolicyType.values], required=False, default="all"
    )
    case_status = serializers.ChoiceField(
        choices=["all", *lifecycle.Status.values, "resolved", "open", "closed"],
        required=False,
        default="all",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("date_range") and (attrs.get("start_date") or attrs.get("end_date")):
            # Dates without date_range mean a custom range; never drop a filter silently.
            attrs["date_range"] = "custom"
        if attrs.get("date_range") == "custom":
            if not attrs.get("start_date") or not attrs.get("end_date"):
                raise serializers.ValidationError(
                    {"start_date": ["start_date and end_date are required for custom."]}
                )
            if attrs["start_date"] > attrs["end_date"]:
                raise serializers.ValidationError({"end_date": ["Must not be before start_date."]})
            if (attrs["end_date"] - attrs["start_date"]).days > 3660:
                raise serializers.ValidationError({"end_date": ["At most 10 years."]})
        return attrs


class DashboardStatsSerializer(serializers.Serializer):
    totalCases = serializers.IntegerField()  # noqa: N815 - the spec's camelCase keys
    inProgress = serializers.IntegerField()  # noqa: N815
    renewed = serializers.IntegerField()
    pendingAction = serializers.IntegerField()  # noqa: N815
    errors = serializers.IntegerField()  # type: ignore[assignment]  # a declared field, as `source`
    paymentCollected = serializers.FloatField()  # noqa: N815
    paymentPending = serializers.FloatField()  # noqa: N815
    new = serializers.IntegerField()
    pendingPayment = serializers.IntegerField()  # noqa: N815
    lapsed = serializers.IntegerField()
    lost = serializers.IntegerField()
    escalated = serializers.IntegerField()


class DashboardTrendSerializer(serializers.Serializer):
    name = StrictCharField()
    date = serializers.DateField()
    newCases = serializers.IntegerField()  # noqa: N815
    renewals = serializers.IntegerField()
    successRate = serializers.FloatField()  # noqa: N815


class BatchStatusCountsSerializer(serializers.Serializer):
    renewed = serializers.IntegerField()
    inProgress = serializers.IntegerField()  # noqa: N815
    pending = serializers.IntegerField()
    failed = serializers.IntegerField()


class BatchPaymentSerializer(serializers.Serializer):
    received = serializers.FloatField()
    pending = serializers.FloatField()


class DashboardBatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fileName = StrictCharField()  # noqa: N815
    status = BatchStatusCountsSerializer()
    payment = BatchPaymentSerializer()
    batchStatus = StrictCharField()  # noqa: N815
    totalRecords = serializers.IntegerField()  # noqa: N815
    totalCases = serializers.IntegerField()  # noqa: N815
    uploadedAt = serializers.DateTimeField()  # noqa: N815
