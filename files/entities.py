"""What files can be attached to, and who may see each record (so: its files).

files knows no domain. Each domain app registers its entity types in its own
`AppConfig.ready()`: the model, and a scope function `user -> QuerySet` of the records that
user may see (taken from that app's selectors):

    # claims/apps.py
    def ready(self):
        from claims.models import Claim
        from claims.selectors import claim_list
        from files.entities import entity_register
        from files.models import EntityType

        entity_register(EntityType.CLAIM, model=Claim, visible=lambda user: claim_list(user=user))

A type of `files.models.EntityType` that no app registered yet (claim, email, campaign,
survey) is known but finds nothing: uploads to it answer 400 `entity_not_found`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Model, Q, QuerySet

from files.errors import EntityNotFoundError, EntityTypeUnknownError
from files.models import EntityType

if TYPE_CHECKING:
    from accounts.models import User

VisibleRecords = Callable[["User"], QuerySet]


@dataclass(frozen=True)
class EntityKind:
    """One registered entity type: its model and who may see which of its records."""

    entity_type: str
    model: type[Model]
    visible: VisibleRecords


_REGISTRY: dict[str, EntityKind] = {}


def entity_register(entity_type: str, *, model: type[Model], visible: VisibleRecords) -> None:
    """Called by a domain app's AppConfig.ready() to make its records attachable.

    Registering the same type again replaces the entry (ready() may run twice in tests).
    """
    if entity_type not in EntityType.values:
        raise ValueError(f"{entity_type!r} is not a files.models.EntityType")
    _REGISTRY[entity_type] = EntityKind(entity_type=entity_type, model=model, visible=visible)


def entity_types() -> list[str]:
    return list(EntityType.values)


def visible_records(*, user: "User", entity_type: str) -> QuerySet | None:
    """The records of `entity_type` that `user` may see; None when none can be found
    (anonymous caller, or no app registered the type yet)."""
    if entity_type not in EntityType.values:
        raise EntityTypeUnknownError(
            details={"entity_type": entity_type, "allowed": entity_types()}
        )
    kind = _REGISTRY.get(entity_type)
    if kind is None or not (user and user.is_authenticated):
        return None
    records = kind.visible(user)
    if records.model is not kind.model:
        raise TypeError(
            f"scope function of {entity_type!r} returned {records.model.__name__} records, "
            f"not {kind.model.__name__}"
        )
    return records


def entity_check_visible(*, user: "User", entity_type: str, entity_id: int) -> None:
    """Raise 400 entity_not_found unless the record exists and `user` may see it.

    Missing and out-of-scope records get the same answer, so an upload cannot probe ids.
    """
    records = visible_records(user=user, entity_type=entity_type)
    if records is None or not records.filter(pk=entity_id).exists():
        raise EntityNotFoundError(details={"entity_type": entity_type, "entity_id": entity_id})


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
