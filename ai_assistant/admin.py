"""The operations console for the AI assistant: its settings (with a test call), the knowledge
base (with re-indexing) and the usage log with totals per user, feature and month.

Writes go through the same services as the API (validation, audit, indexing on commit).
Keys are write-only here too: the form takes a new key and never shows the stored one.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse

from ai_assistant import services
from ai_assistant.models import AISettings, AIUsage, KnowledgeDocument
from ai_assistant.selectors import ai_settings_keys
from ai_assistant.services.settings import SETTINGS_FIELDS, ai_settings_validate


class AISettingsForm(forms.ModelForm):
    api_key = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: type a new key to replace the stored one; leave empty to keep it.",
    )
    clear_api_key = forms.BooleanField(required=False, help_text="Remove the stored key.")

    class Meta:
        model = AISettings
        fields = [*SETTINGS_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        errors = ai_settings_validate(cleaned)
        if errors:
            raise ValidationError(errors)
        return cleaned


@admin.register(AISettings)
class AISettingsAdmin(admin.ModelAdmin):
    form = AISettingsForm
    list_display = ["__str__", "enabled", "provider", "model", "key_status", "updated_at"]
    readonly_fields = ["key_status", "created_at", "updated_at"]
    actions = ["test_call"]

    @admin.display(description="API key")
    def key_status(self, obj: AISettings) -> str:
        key, _chain = ai_settings_keys(obj)
        return f"set (…{key[-4:]})" if len(key) >= 8 else ("set" if key else "not set")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not AISettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: AISettings, form: Any, change: bool) -> None:
        data = {
            name: form.cleaned_data[name] for name in SETTINGS_FIELDS if name in form.changed_data
        }
        if not change:
            data = {name: form.cleaned_data[name] for name in SETTINGS_FIELDS}
        api_key = (
            ""
            if form.cleaned_data.get("clear_api_key")
            else (form.cleaned_data.get("api_key") or None)
        )
        row = services.ai_settings_update(actor=request.user, data=data, api_key=api_key)
        obj.pk = row.pk

    @admin.action(description="Make a test call to the configured provider")
    def test_call(self, request: HttpRequest, queryset: QuerySet[AISettings]) -> None:
        result = services.ai_settings_test(actor=request.user)
        if result["ok"]:
            self.message_user(
                request,
                f"{result['provider']} ({result['model']}) answered in {result['latency_ms']} ms.",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                f"{result['provider']} failed: {result['error_code']}.",
                messages.ERROR,
            )


class KnowledgeDocumentForm(forms.ModelForm):
    class Meta:
        model = KnowledgeDocument
        fields = ["title", "doc_type", "content", "tags", "is_active"]


@admin.register(KnowledgeDocument)
class KnowledgeDocumentAdmin(admin.ModelAdmin):
    form = KnowledgeDocumentForm
    list_display = ["title", "doc_type", "status", "chunk_count", "is_active", "indexed_at"]
    list_filter = ["status", "doc_type", "is_active"]
    search_fields = ["title", "slug", "file_name"]
    readonly_fields = [
        "slug",
        "status",
        "chunk_count",
        "indexed_at",
        "size_bytes",
        "file_name",
        "created_by",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["created_by"]
    actions = ["reindex"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[KnowledgeDocument]:
        qs = super().get_queryset(request)
        return qs if request.resolver_match.url_name.endswith("_change") else qs.defer("content")

    def save_model(
        self, request: HttpRequest, obj: KnowledgeDocument, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            services.knowledge_document_update(
                actor=request.user,
                document_id=obj.pk,
                data={name: data[name] for name in form.changed_data},
            )
        else:
            created = services.knowledge_document_create(
                actor=request.user,
                title=data["title"],
                content=data["content"],
                doc_type=data["doc_type"],
                tags=data.get("tags") or [],
                is_active=data["is_active"],
            )
            obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: KnowledgeDocument) -> None:
        services.knowledge_document_delete(actor=request.user, document_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[KnowledgeDocument]) -> None:
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            services.knowledge_document_delete(actor=request.user, document_id=pk)

    @admin.action(description="Re-index the selected documents")
    def reindex(self, request: HttpRequest, queryset: QuerySet[KnowledgeDocument]) -> None:
        count = 0
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            with transaction.atomic():
                services.knowledge_document_reindex(actor=request.user, document_id=pk)
            count += 1
        self.message_user(request, f"{count} document(s) re-indexed.", messages.SUCCESS)


TOTALS_LIMIT = 20  # rows per totals table


@admin.register(AIUsage)
class AIUsageAdmin(admin.ModelAdmin):
    """Read-only log; the change list shows totals of the filtered rows."""

    list_display = [
        "created_at",
        "user",
        "feature",
        "provider",
        "model",
        "tokens_in",
        "tokens_out",
        "cost_estimate",
        "latency_ms",
        "cache_hit",
        "outcome",
    ]
    list_filter = ["feature", "provider", "outcome", "cache_hit", "created_at"]
    search_fields = ["user__email", "model", "error_code"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    change_list_template = "admin/ai_assistant/aiusage/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if not context or "cl" not in context:
            return response
        qs = context["cl"].queryset.order_by()
        sums = {
            "calls": Count("id"),
            "tokens": Sum(F("tokens_in") + F("tokens_out"), default=0),
            "cost": Sum("cost_estimate", default=0),
        }
        context["usage_totals"] = qs.aggregate(**sums)
        context["usage_by_user"] = list(
            qs.values("user__email")
            .annotate(**sums)
            .order_by("-tokens", "user__email")[:TOTALS_LIMIT]
        )
        context["usage_by_feature"] = list(
            qs.values("feature").annotate(**sums).order_by("feature")
        )
        context["usage_by_month"] = list(
            qs.annotate(month=TruncMonth("created_at"))
            .values("month")
            .annotate(**sums)
            .order_by("-month")[:TOTALS_LIMIT]
        )
        return response
