"""Case numbers `REN-<year>-<6 digits>`, allocated without races.

PostgreSQL: `nextval('renewals_case_number_seq')` over generate_series hands out `count`
distinct values in one round trip; a sequence never returns the same value twice, even to
concurrent transactions, and does not hold locks until commit (numbers of rolled-back
transactions are skipped, which is fine: numbers are unique, not gapless).
SQLite: one counter row advanced under the database write lock (`UPDATE ... SET value =
value + n`), then read back in the same transaction.

The running number is global, not reset each year: the year in the number is the year the
case was opened, and the counter keeps numbers unique across years without a per-year
sequence. Numbers have at least 6 digits and grow past 999999.
"""

from django.db import connection, transaction
from django.db.models import F

from renewals.models import CaseNumberCounter

COUNTER_NAME = "case_number"
SEQUENCE_NAME = "renewals_case_number_seq"


def case_number_format(*, year: int, number: int) -> str:
    return f"REN-{year}-{number:06d}"


def case_numbers_allocate(*, count: int, year: int) -> list[str]:
    """Reserve `count` new case numbers for cases opened in `year`, in ascending order."""
    if count <= 0:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nextval('{SEQUENCE_NAME}') FROM generate_series(1, %s)",  # noqa: S608 - constant
                [count],
            )
            numbers = sorted(row[0] for row in cursor.fetchall())
    else:
        with transaction.atomic():
            CaseNumberCounter.objects.get_or_create(name=COUNTER_NAME)
            CaseNumberCounter.objects.filter(name=COUNTER_NAME).update(value=F("value") + count)
            last = CaseNumberCounter.objects.values_list("value", flat=True).get(name=COUNTER_NAME)
        numbers = list(range(last - count + 1, last + 1))
    return [case_number_format(year=year, number=n) for n in numbers]
