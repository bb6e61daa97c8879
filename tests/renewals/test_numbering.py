import re
import threading

import pytest
from django.db import connection

from renewals.services import case_numbers_allocate

pytestmark = pytest.mark.django_db


def test_allocate_returns_requested_count_in_spec_format():
    numbers = case_numbers_allocate(count=3, year=2025)

    assert len(numbers) == 3
    assert all(re.fullmatch(r"REN-2025-\d{6}", n) for n in numbers)


def test_allocate_never_repeats_across_calls():
    first = case_numbers_allocate(count=50, year=2025)
    second = case_numbers_allocate(count=50, year=2026)

    suffixes = [n.rsplit("-", 1)[1] for n in first + second]
    assert len(set(suffixes)) == 100


def test_allocate_zero_returns_empty_list():
    assert case_numbers_allocate(count=0, year=2025) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_do_not_collide():
    if connection.vendor != "postgresql":
        pytest.skip(reason="SQLite serialises writers; concurrency matters on PostgreSQL")
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(case_numbers_allocate(count=200, year=2025))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    flat = [n for batch in results for n in batch]
    assert len(flat) == 800
    assert len(set(flat)) == 800
