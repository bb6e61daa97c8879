"""Small database helpers shared by the apps."""

from collections.abc import Collection
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

# Below this many ids a plain IN list is as cheap.
MANY_IDS = 50


def many_ids(ids: Collection[int]) -> Any:
    """The right-hand side of an `__in` lookup over many ids (a broadcast's 1,000 users).

    On PostgreSQL the ids travel as ONE array parameter (`IN (SELECT unnest(%s))`): Django
    and psycopg otherwise build, split and bind a placeholder per id (~5 ms per 1,000), and
    the server parses each. Elsewhere, and for short lists, the list itself.
    """
    if connection.vendor == "postgresql" and len(ids) > MANY_IDS:
        return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])
    return ids
