"""Operations console for batch uploads: progress, counts, the error log and the file, with
retry / approve / reject actions and an upload form. Every change goes through
uploads.services, exactly like the API."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts import modules
from accounts.permissions import user_can
from intelipro.api.errors import DomainError
from uploads import services
from uploads.models import UploadBatch

ERROR_LOG_SHOWN = 200


class UploadBatchForm(forms.Form):
    file = forms.FileField(help_text="A .csv or .xlsx file in the template's layout.")
    policy_type = forms.ChoiceField(choices=[])
    dry_run = forms.BooleanField(required=False, help_text="Validate and match only.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy_type"].choices = [(v, v) for v in services.policy_types_allowed()]


def _progress_bar(batch: UploadBatch) -> str:
    percent = batch.progress_percent
    colour = {
        UploadBatch.Status.FAILED: "#ba2121",
        UploadBatch.Status.REJECTED: "#777",
    }.get(batch.status, "#c98a00" if batch.has_errors else "#417690")
    return format_html(
        '<div style="width:140px;background:#eee;border-radius:3px" title="{}%">'
        '<div style="width:{}%;background:{};color:#fff;font-size:11px;padding:1px 4px;'
        'border-radius:3px;white-space:nowrap">{}%</div></div>',
        percent,
        percent,
        colour,
        percent,
    )


class HasErrorsFilter(admin.SimpleListFilter):
    title = "has errors"
    parameter_name = "has_errors"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(failed_records__gt=0)
        if self.value() == "no":
            return queryset.filter(failed_records=0)
        return queryset


@admin.register(UploadBatch)
class UploadBatchAdmin(admin.ModelAdmin):
    change_list_template = "admin/uploads/uploadbatch/change_list.html"
    list_display = (
        "id",
        "file_name",
        "status",
        "stage",
        "has_errors",
        "progress",
        "total_records",
        "successful_records",
        "failed_records",
        "dry_run",
        "uploaded_by",
        "created_at",
    )
    list_filter = (
        "status",
        "stage",
        HasErrorsFilter,
        "dry_run",
        "file_format",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("file_name", "uploaded_by__email")
    list_select_related = ("uploaded_by",)
    date_hierarchy = "created_at"
    actions = ["retry_batches", "approve_batches", "reject_batches"]
    exclude = ("error_log", "file_meta", "summary", "approval_reasons")
    readonly_fields = (
        "file_name",
        "file_link",
        "policy_type",
        "dry_run",
        "status",
        "stage",
        "has_errors",
        "progress",
        "total_records",
        "processed_records",
        "successful_records",
        "failed_records",
        "error_count",
        "summary_table",
        "approval",
        "failure_reason",
        "uploaded_by",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "next_row",
        "chunks_committed",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
        "progress_at",
        "error_table",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[UploadBatch]:
        qs = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            return qs.defer("error_log", "file_meta")
        return qs

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # uploads go through the upload form (the same service as the API)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # batches are the provenance of cases; they are kept

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="has errors", boolean=True)
    def has_errors(self, batch: UploadBatch) -> bool:
        return batch.has_errors

    @admin.display(description="progress")
    def progress(self, batch: UploadBatch) -> str:
        return _progress_bar(batch)

    @admin.display(description="file")
    def file_link(self, batch: UploadBatch) -> str:
        if not batch.file_path:
            return "-"
        url = reverse("admin:uploads_uploadbatch_file", args=[batch.pk])
        return format_html('<a href="{}">{}</a> ({} bytes)', url, batch.file_name, batch.file_size)

    @admin.display(description="summary")
    def summary_table(self, batch: UploadBatch) -> str:
        items = [(k, v) for k, v in (batch.summary or {}).items() if k != "round_robin"]
        if not items:
            return "-"
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", items)
        )

    @admin.display(description="approval")
    def approval(self, batch: UploadBatch) -> str:
        if not batch.approval_reasons:
            return "not required"
        return format_html_join(
            "", "<div>{}</div>", ((str(reason),) for reason in batch.approval_reasons)
        )

    @admin.display(description=f"error log (first {ERROR_LOG_SHOWN})")
    def error_table(self, batch: UploadBatch) -> str:
        entries = (batch.error_log or [])[:ERROR_LOG_SHOWN]
        if not entries:
            return "no errors"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.get("row"), e.get("column"), e.get("value"), e.get("error")) for e in entries),
        )
        csv_url = f"/api/v1/upload/batch/{batch.pk}/errors.csv"
        return format_html(
            "<p>{} problem(s) in {} row(s); full list as CSV (API): <code>{}</code></p>"
            "<table><tr><th>row</th><th>column</th><th>value</th><th>error</th></tr>{}</table>",
            batch.error_count,
            batch.failed_records,
            csv_url,
            rows,
        )

    # --- actions --------------------------------------------------------------------------

    def _run(self, request: HttpRequest, queryset: QuerySet, action: str, label: str) -> None:
        if not user_can(request.user, modules.UPLOAD, write=True):
            raise PermissionDenied
        done = 0
        for batch in queryset.order_by("pk"):
            try:
                if action == "retry":
                    services.upload_batch_retry(batch_id=batch.pk, actor=request.user)
                elif action == "approve":
                    services.upload_batch_approve(batch_id=batch.pk, actor=request.user)
                else:
                    services.upload_batch_reject(batch_id=batch.pk, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"#{batch.pk}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"{label} {done} batch(es).", messages.SUCCESS)

    @admin.action(description="Retry (resume from the last committed chunk)")
    def retry_batches(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(request, queryset, "retry", "Re-queued")

    @admin.action(description="Approve (maker-checker)")
    def approve_batches(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(request, queryset, "approve", "Approved")

    @admin.action(description="Reject")
    def reject_batches(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(request, queryset, "reject", "Rejected")

    # --- extra views ----------------------------------------------------------------------

    def get_urls(self) -> list:
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="uploads_uploadbatch_upload",
            ),
            path(
                "<int:pk>/file/",
                self.admin_site.admin_view(self.file_view),
                name="uploads_uploadbatch_file",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not user_can(request.user, modules.UPLOAD, write=True):
            raise PermissionDenied
        form = UploadBatchForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = services.upload_batch_create(
                    file=upload,
                    file_name=upload.name,
                    size=upload.size,
                    policy_type=form.cleaned_data["policy_type"],
                    dry_run=form.cleaned_data["dry_run"],
                    uploaded_by=request.user,
                )
            except DomainError as exc:
                form.add_error("file", f"{exc.message} ({exc.code})")
            else:
                self.message_user(
                    request,
                    f"Batch #{batch.pk} accepted: {batch.total_records} rows queued.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:uploads_uploadbatch_change", args=[batch.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload a renewal file",
            "form": form,
            "template_csv": "/api/v1/upload/template?format=csv",
        }
        return TemplateResponse(request, "admin/uploads/uploadbatch/upload_form.html", context)

    def file_view(self, request: HttpRequest, pk: int) -> FileResponse:
        if not user_can(request.user, modules.UPLOAD):
            raise PermissionDenied
        batch = get_object_or_404(UploadBatch, pk=pk)
        try:
            handle = services.batch_file_opener(batch)()
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(handle, as_attachment=True, filename=batch.file_name)
