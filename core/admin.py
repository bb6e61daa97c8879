"""Operations console: the audit log, read-only."""

from django.contrib import admin
from django.http import HttpRequest

from core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("timestamp", "actor_label", "action", "object_type", "object_id", "ip_address")
    list_filter = ("action", "object_type", ("timestamp", admin.DateFieldListFilter))
    search_fields = (
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "request_id",
        "ip_address",
    )
    date_hierarchy = "timestamp"
    list_select_related = ("actor",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    list_per_page = 100
    show_full_result_count = False  # COUNT(*) over millions of audit rows is not worth it

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
