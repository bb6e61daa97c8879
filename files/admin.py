"""Operations console for files: find them, and re-scan / quarantine / restore their content."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from files.models import File, FileBlob
from files.services import file_quarantine, file_rescan, file_restore


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("no", "Live"), ("yes", "Deleted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


def _run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    service: Callable[..., File],
    verb: str,
) -> None:
    done = 0
    # One call per distinct content: the services act on the blob (every upload of it).
    seen_blobs: set[int] = set()
    for file_id, blob_id in queryset.order_by("pk").values_list("pk", "blob_id"):
        if blob_id in seen_blobs:
            continue
        seen_blobs.add(blob_id)
        service(file_id=file_id, actor=request.user)
        done += 1
    modeladmin.message_user(request, f"{verb} {done} file content(s).", messages.SUCCESS)


@admin.action(description="Re-scan for viruses")
def rescan_action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _run(modeladmin, request, queryset, file_rescan, "Queued a re-scan of")


@admin.action(description="Quarantine (never served)")
def quarantine_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    _run(modeladmin, request, queryset, file_quarantine, "Quarantined")


@admin.action(description="Restore (mark clean: false positive / quarantine lifted)")
def restore_action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _run(modeladmin, request, queryset, file_restore, "Restored")


@admin.register(File)
class FileAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "file_name",
        "entity_type",
        "entity_id",
        "mime_type",
        "file_size",
        "virus_scan_status",
        "uploaded_by",
        "is_public",
        "created_at",
        "deleted_at",
    ]
    list_filter = [
        "virus_scan_status",
        "entity_type",
        "mime_type",
        ("uploaded_by", admin.RelatedOnlyFieldListFilter),
        "is_public",
        DeletedFilter,
        "created_at",
    ]
    search_fields = ["file_name", "original_name", "sha256", "=entity_id"]
    list_select_related = ["uploaded_by", "blob"]
    readonly_fields = [field.name for field in File._meta.fields] + ["scan_detail"]
    actions = [rescan_action, quarantine_action, restore_action]
    date_hierarchy = "created_at"
    show_full_result_count = False  # COUNT(*) over 100 GB+ of files' rows is not free

    @admin.display(description="scan detail")
    def scan_detail(self, obj: File) -> str:
        return obj.blob.scan_detail

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # files come in through the upload endpoint (validation, scanning)

    def has_delete_permission(self, request: HttpRequest, obj: File | None = None) -> bool:
        return False  # soft delete through the API keeps references counted


@admin.register(FileBlob)
class FileBlobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "sha256",
        "size",
        "mime_type",
        "ref_count",
        "scan_status",
        "scan_engine",
        "thumbnail_status",
        "purged_at",
    ]
    list_filter = ["scan_status", "thumbnail_status", "mime_type"]
    search_fields = ["=sha256"]
    readonly_fields = [field.name for field in FileBlob._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FileBlob | None = None) -> bool:
        return False
