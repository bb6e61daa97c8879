"""What files can be attached to, and who may see each record (so: its files).

Each entity type maps to a function `user -> QuerySet` of the records that user may see,
taken from the owning app's selectors (imported lazily: files must not import every app at
start-up). A type whose app does not exist yet (claim, email, campaign, survey) is known but
finds nothing: uploads to it answer 400 `entity_not_found` until that app registers itself:

    # claims/apps.py
    def ready(self):
        from files.entities import entity_register
        from claims.selectors import claim_list
        entity_register("claim", lambda user: claim_list(user=user))
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from accounts import modules
from files.errors import EntityNotFoundError, EntityTypeUnknownError
from files.models import EntityType

if TYPE_CHECKING:
    from accounts.models import User

VisibleRecords = Callable[["User"], QuerySet | None]


def _cases(user: "User") -> QuerySet:
    from renewals.selectors import case_list

    return case_list(user=user)


def _policies(user: "User") -> QuerySet:
    from renewals.selectors import policy_list

    return policy_list(user=user)


def _customers(user: "User") -> QuerySet:
    from renewals.selectors import customer_list

    return customer_list(user=user)


def _batches(user: "User") -> QuerySet:
    """Managers and admins with the upload module see every batch; anyone their own."""
    from uploads.models import UploadBatch

    qs = UploadBatch.objects.all()
    if user.is_superuser or (
        user.role_name in (modules.ADMIN, modules.MANAGER) and user.has_module(modules.UPLOAD)
    ):
        return qs
    return qs.filter(uploaded_by=user.pk)


def _not_available(user: "User") -> None:
    """The owning app does not exist yet: no record of this type can be found."""
    return


_REGISTRY: dict[str, VisibleRecords] = {
    EntityType.CASE: _cases,
    EntityType.POLICY: _policies,
    EntityType.CUSTOMER: _customers,
    EntityType.BATCH: _batches,
    EntityType.CLAIM: _not_available,
    EntityType.EMAIL: _not_available,
    EntityType.CAMPAIGN: _not_available,
    EntityType.SURVEY: _not_available,
}


def entity_register(entity_type: str, visible: VisibleRecords) -> None:
    """Called by an app's AppConfig.ready() to make its records attachable."""
    if entity_type not in EntityType.values:
        raise ValueError(f"{entity_type!r} is not a files.models.EntityType")
    _REGISTRY[entity_type] = visible


def entity_types() -> list[str]:
    return list(EntityType.values)


def visible_records(*, user: "User", entity_type: str) -> QuerySet | None:
    if entity_type not in _REGISTRY:
        raise EntityTypeUnknownError(
            details={"entity_type": entity_type, "allowed": entity_types()}
        )
    if not (user and user.is_authenticated):
        return None
    return _REGISTRY[entity_type](user)


def entity_check_visible(*, user: "User", entity_type: str, entity_id: int) -> None:
    """Raise 400 entity_not_found unless the record exists and `user` may see it.

    Missing and out-of-scope records get the same answer, so an upload cannot probe ids.
    """
    records = visible_records(user=user, entity_type=entity_type)
    if records is None or not records.filter(pk=entity_id).exists():
        raise EntityNotFoundError(details={"entity_type": entity_type, "entity_id": entity_id})


def entity_visible_ids(*, user: "User", entity_type: str, entity_ids: list[int]) -> set[int]:
    records = visible_records(user=user, entity_type=entity_type)
    if records is None:
        return set()
    return set(records.filter(pk__in=entity_ids).values_list("pk", flat=True))


def visible_files_q(*, user: "User", entity_type: str | None = None) -> Q:
    """A filter on File: attached to a record `user` may see (one SQL, subqueries per type)."""
    condition = Q(pk__in=[])
    types = [entity_type] if entity_type else list(_REGISTRY)
    for type_ in types:
        records = visible_records(user=user, entity_type=type_)
        if records is None:
            continue
        condition |= Q(entity_type=type_, entity_id__in=records.order_by().values("pk"))
    return condition
