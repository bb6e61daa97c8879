"""The operations console for renewals: customers, policies, cases, payments, reminders.

Lifecycle fields are read-only here; staff change state through actions that call the same
services as the API (so events, audit and notifications happen the same way), and the edit
forms save through services too (`save_model`), never with a bare `save()` or
`queryset.update()`.
Branches are administered in accounts (accounts.Branch).
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from intelipro.api.errors import DomainError
from renewals import lifecycle, services
from renewals.models import (
    CaseEvent,
    CaseReminder,
    Customer,
    Payment,
    Policy,
    RenewalCase,
    UnmatchedPayment,
)
from renewals.selectors import customer_search_q


def _save_through(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    obj: Any,
    form: forms.ModelForm,
    change: bool,
    *,
    create: Any,
    update: Any,
) -> None:
    """Save an admin form through the app's create/update service (audited, locked)."""
    try:
        if change:
            data = {n: form.cleaned_data[n] for n in form.changed_data if n in form.cleaned_data}
            if data:
                update(actor=request.user, data=data)
        else:
            created = create(actor=request.user, data=form.cleaned_data)
            obj.pk = created.pk
            obj._state.adding = False
    except (DomainError, DjangoValidationError) as exc:
        modeladmin.message_user(request, str(exc), messages.ERROR)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["customer_code", "first_name", "last_name", "email", "phone", "kyc_status"]
    list_filter = ["kyc_status"]
    # Email and phone are encrypted: searched by exact value (get_search_results), not here.
    search_fields = ["customer_code", "first_name", "last_name"]
    search_help_text = "Code or name (substring), or an exact email or phone number."
    readonly_fields = ["created_at", "updated_at"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= queryset.filter(customer_search_q(search_term))
        return results, may_have_duplicates

    def save_model(
        self, request: HttpRequest, obj: Customer, form: forms.ModelForm, change: bool
    ) -> None:
        _save_through(
            self,
            request,
            obj,
            form,
            change,
            create=services.customer_create,
            update=lambda **kw: services.customer_update(customer_id=obj.pk, **kw),
        )


class CaseInline(admin.TabularInline):
    model = RenewalCase
    fk_name = "policy"
    extra = 0
    fields = ["case_number", "status", "priority", "renewal_date", "renewal_amount", "assigned_to"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = [
        "policy_number",
        "customer",
        "policy_type",
        "premium_amount",
        "status",
        "renewal_date",
        "branch",
        "agent",
    ]
    list_filter = ["policy_type", "status", "branch"]
    search_fields = ["policy_number", "customer__first_name", "customer__last_name"]
    list_select_related = ["customer", "branch", "agent"]
    autocomplete_fields = ["customer", "agent", "branch"]
    date_hierarchy = "renewal_date"
    inlines = [CaseInline]

    def save_model(
        self, request: HttpRequest, obj: Policy, form: forms.ModelForm, change: bool
    ) -> None:
        _save_through(
            self,
            request,
            obj,
            form,
            change,
            create=services.policy_create,
            update=lambda **kw: services.policy_update(policy_id=obj.pk, **kw),
        )


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ["created_at", "action", "actor", "details", "old_value", "new_value"]
    readonly_fields = fields
    can_delete = False
    ordering = ["created_at", "id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["paid_at", "amount", "method", "reference", "source", "recorded_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class UserChoiceForm(forms.Form):
    user_id = forms.IntegerField(label="User id")
    reason = forms.CharField(required=False, widget=forms.Textarea, label="Reason / note")


class LostForm(forms.Form):
    lost_reason = forms.ChoiceField(choices=lifecycle.LostReason.choices)
    lost_reason_detail = forms.CharField(required=False, widget=forms.Textarea)


def _run_on_cases(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    call: Any,
    verb: str,
) -> None:
    done, failed = 0, []
    for case_id in queryset.order_by("pk").values_list("pk", flat=True):
        try:
            call(case_id)
            done += 1
        except DomainError as exc:
            failed.append(f"#{case_id}: {exc.code}")
    modeladmin.message_user(request, f"{verb} {done} case(s).", messages.SUCCESS)
    if failed:
        modeladmin.message_user(request, "Skipped " + ", ".join(failed[:20]), messages.WARNING)


def _form_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    action_name: str,
) -> forms.Form | HttpResponse:
    """Show an intermediate form; return the bound valid form when submitted."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            return form
    else:
        form = form_class()
    return render(
        request,
        "admin/renewals/case_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "queryset": queryset,
            "action_name": action_name,
            "opts": modeladmin.model._meta,
        },
    )


@admin.register(RenewalCase)
class RenewalCaseAdmin(admin.ModelAdmin):
    list_display = [
        "case_number",
        "policy",
        "status",
        "priority",
        "renewal_date",
        "renewal_amount",
        "payment_status",
        "assigned_to",
        "escalated_to",
        "created_at",
    ]
    list_filter = [
        "status",
        "priority",
        "payment_status",
        ("assigned_to", admin.RelatedOnlyFieldListFilter),
        ("policy__branch", admin.RelatedOnlyFieldListFilter),
        "policy__policy_type",
        "renewal_date",
    ]
    search_fields = ["case_number", "policy__policy_number", "policy__customer__last_name"]
    list_select_related = ["policy", "assigned_to", "escalated_to"]
    autocomplete_fields = ["policy", "assigned_to", "escalated_to"]
    raw_id_fields = ["batch"]
    # Editable here: what PUT /cases/{id} may change outside the lifecycle; saved through
    # services.case_update (timeline + audit). Everything else is read-only.
    editable_fields = ("priority", "renewal_amount", "payment_method", "notes")
    readonly_fields = [
        "policy",
        "batch",
        "renewal_date",
        "last_activity_at",
        "case_number",
        "status",
        "payment_status",
        "amount_paid",
        "payment_date",
        "communication_attempts",
        "last_contact_date",
        "escalated_to",
        "escalation_reason",
        "escalated_at",
        "lost_reason",
        "lost_reason_detail",
        "closed_at",
        "assigned_to",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "renewal_date"
    inlines = [CaseEventInline, PaymentInline]
    actions = ["assign_to", "escalate", "mark_lost"]
    show_full_result_count = False  # no COUNT(*) over every case on each page

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # cases are opened by uploads, the API (POST /cases) or seed_demo

    def save_model(
        self, request: HttpRequest, obj: RenewalCase, form: forms.ModelForm, change: bool
    ) -> None:
        data = {
            n: form.cleaned_data[n]
            for n in form.changed_data
            if n in self.editable_fields and n in form.cleaned_data
        }
        if not data:
            return
        try:
            services.case_update(case_id=obj.pk, actor=request.user, data=data)
        except DomainError as exc:
            self.message_user(request, f"{exc.code}: {exc.message}", messages.ERROR)

    @admin.action(description="Assign to a user…")
    def assign_to(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = _form_action(
            self,
            request,
            queryset,
            form_class=UserChoiceForm,
            title="Assign cases",
            action_name="assign_to",
        )
        if not isinstance(form, forms.Form):
            return form
        user_id, note = form.cleaned_data["user_id"], form.cleaned_data["reason"]
        _run_on_cases(
            self,
            request,
            queryset,
            lambda pk: services.case_assign(
                case_id=pk, actor=request.user, assigned_to_id=user_id, notes=note
            ),
            "Assigned",
        )
        return None

    @admin.action(description="Escalate to a user…")
    def escalate(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = _form_action(
            self,
            request,
            queryset,
            form_class=UserChoiceForm,
            title="Escalate cases",
            action_name="escalate",
        )
        if not isinstance(form, forms.Form):
            return form
        user_id = form.cleaned_data["user_id"]
        reason = form.cleaned_data["reason"] or "Escalated from the operations console"
        _run_on_cases(
            self,
            request,
            queryset,
            lambda pk: services.case_escalate(
                case_id=pk, actor=request.user, escalated_to_id=user_id, reason=reason
            ),
            "Escalated",
        )
        return None

    @admin.action(description="Mark lost (with reason)…")
    def mark_lost(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = _form_action(
            self,
            request,
            queryset,
            form_class=LostForm,
            title="Close cases as lost",
            action_name="mark_lost",
        )
        if not isinstance(form, forms.Form):
            return form
        data = {
            "status": lifecycle.Status.LOST,
            "lost_reason": form.cleaned_data["lost_reason"],
            "lost_reason_detail": form.cleaned_data["lost_reason_detail"],
        }
        _run_on_cases(
            self,
            request,
            queryset,
            lambda pk: services.case_update(case_id=pk, actor=request.user, data=data),
            "Closed",
        )
        return None


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["paid_at", "case", "amount", "method", "reference", "source", "recorded_by"]
    list_filter = ["source", "method"]
    search_fields = ["reference", "case__case_number"]
    list_select_related = ["case", "recorded_by"]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded through POST /cases/{id}/payments or the gateway webhook

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MatchForm(forms.Form):
    case_id = forms.IntegerField(label="Case id")


@admin.register(UnmatchedPayment)
class UnmatchedPaymentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "reference", "case_reference", "amount", "method", "status"]
    list_filter = ["status"]
    search_fields = ["reference", "case_reference"]
    readonly_fields = [
        "reference",
        "case_reference",
        "amount",
        "method",
        "paid_at",
        "payload",
        "resolved_case",
        "status",
        "created_at",
    ]
    actions = ["match_to_case", "ignore"]

    @admin.action(description="Ignore (not a payment of ours)")
    def ignore(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = sum(
            services.unmatched_payment_ignore(unmatched_id=pk, actor=request.user)
            for pk in queryset.order_by("pk").values_list("pk", flat=True)
        )
        self.message_user(request, f"Ignored {done} payment(s).", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Match to a case…")
    def match_to_case(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = _form_action(
            self,
            request,
            queryset,
            form_class=MatchForm,
            title="Match payments to a case",
            action_name="match_to_case",
        )
        if not isinstance(form, forms.Form):
            return form
        case_id = form.cleaned_data["case_id"]
        done = 0
        for row in queryset.filter(status=UnmatchedPayment.Status.OPEN):
            try:
                services.unmatched_payment_resolve(
                    unmatched_id=row.pk, case_id=case_id, actor=request.user
                )
                done += 1
            except (DomainError, RenewalCase.DoesNotExist) as exc:
                self.message_user(request, f"{row.reference}: {exc}", messages.WARNING)
        self.message_user(request, f"Matched {done} payment(s).", messages.SUCCESS)
        return None


@admin.register(CaseReminder)
class CaseReminderAdmin(admin.ModelAdmin):
    list_display = ["case", "window_days", "renewal_date", "status", "channel", "sent_at"]
    list_filter = ["status", "window_days"]
    search_fields = ["case__case_number"]
    list_select_related = ["case"]
    readonly_fields = [f.name for f in CaseReminder._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
