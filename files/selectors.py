"""Reads of files: what exists, and what a user may see (who may see a record may see its
files; see files/entities.py)."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from files.entities import visible_files_q
from files.errors import EntityTypeUnknownError
from files.models import EntityType, File

if TYPE_CHECKING:
    from accounts.models import User


def file_list_for_entity(*, entity_type: str, entity_ids: list[int]) -> QuerySet[File]:
    """Live (not deleted) files attached to these records of one entity type, oldest first.

    No permission check: the caller (e.g. the case detail) already scoped the entities.
    """
    return File.objects.filter(
        entity_type=entity_type, entity_id__in=entity_ids, deleted_at__isnull=True
    ).order_by("created_at", "id")


def file_list(
    *, user: "User", entity_type: str | None = None, entity_id: int | None = None
) -> QuerySet[File]:
    """Live files `user` may see, optionally of one record; oldest first. One SQL query."""
    if entity_type and entity_type not in EntityType.values:
        raise EntityTypeUnknownError(
            details={"entity_type": entity_type, "allowed": list(EntityType.values)}
        )
    qs = File.objects.filter(deleted_at__isnull=True).select_related("uploaded_by", "blob")
    qs = qs.filter(visible_files_q(user=user, entity_type=entity_type))
    if entity_id is not None:
        qs = qs.filter(entity_id=entity_id)
    return qs.order_by("created_at", "id")
