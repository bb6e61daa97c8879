"""Reads of files: what exists, what a user may see."""

from django.db.models import QuerySet

from files.models import File


def file_list_for_entity(*, entity_type: str, entity_ids: list[int]) -> QuerySet[File]:
    """Live (not deleted) files attached to these records of one entity type, oldest first.

    No permission check: the caller (e.g. the case detail) already scoped the entities.
    """
    return File.objects.filter(
        entity_type=entity_type, entity_id__in=entity_ids, deleted_at__isnull=True
    ).order_by("created_at", "id")
