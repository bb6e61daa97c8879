"""GET /cases totals are cached, but never shared across callers or filters."""

import pytest

from renewals.services import dashboard_cache_bump
from tests.accounts.factories import UserFactory
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def _total(client, **params) -> int:
    return client.get("/api/v1/cases", params).json()["data"]["pagination"]["total_records"]


def test_each_filter_gets_its_own_total(manager_client):
    RenewalCaseFactory.create_batch(2, status="new")
    RenewalCaseFactory(status="in_progress")

    assert _total(manager_client, status="new") == 2
    assert _total(manager_client, status="in_progress") == 1
    assert _total(manager_client) == 3


def test_each_agent_gets_their_own_total(client_for):
    first, second = UserFactory(role="agent"), UserFactory(role="agent")
    RenewalCaseFactory.create_batch(2, assigned_to=first)
    RenewalCaseFactory(assigned_to=second)

    assert _total(client_for(first)) == 2
    assert _total(client_for(second)) == 1


def test_total_follows_a_new_case(manager_client, manager_user):
    RenewalCaseFactory()
    assert _total(manager_client) == 1

    RenewalCaseFactory()  # factories skip services, which bump the version themselves
    dashboard_cache_bump()

    assert _total(manager_client) == 2


def test_paging_and_sorting_share_the_cached_total(manager_client, django_assert_max_num_queries):
    RenewalCaseFactory.create_batch(3)
    _total(manager_client, page=1)

    with django_assert_max_num_queries(3):  # user, page rows (+ documents); no COUNT(*)
        total = _total(manager_client, page=2, limit=2, sort_by="renewal_date")

    assert total == 3
