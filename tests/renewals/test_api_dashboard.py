import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from renewals.models import RenewalCase
from tests.accounts.factories import UserFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory
from uploads.models import UploadBatch

pytestmark = pytest.mark.django_db

STATS = "/api/v1/dashboard/stats"


def test_stats_spec_keys_and_values(manager_client):
    RenewalCaseFactory(status="new", renewal_amount=Decimal("1000"))
    RenewalCaseFactory(status="in_progress", renewal_amount=Decimal("2000"))
    RenewalCaseFactory(status="renewed", renewal_amount=Decimal("500"), amount_paid=Decimal("500"))
    RenewalCaseFactory(status="failed", renewal_amount=Decimal("300"))

    data = manager_client.get(STATS).json()["data"]

    assert data["totalCases"] == 4
    assert data["inProgress"] == 1
    assert data["renewed"] == 1
    assert data["pendingAction"] == 1
    assert data["errors"] == 1
    assert data["paymentCollected"] == 500
    assert data["paymentPending"] == 3300


def test_stats_scoped_to_agent(agent_client, agent_user):
    RenewalCaseFactory(assigned_to=agent_user)
    RenewalCaseFactory()

    assert agent_client.get(STATS).json()["data"]["totalCases"] == 1


def test_stats_filters_policy_type_and_case_status(manager_client):
    RenewalCaseFactory(policy=PolicyFactory(policy_type="health"), status="renewed")
    RenewalCaseFactory(policy=PolicyFactory(policy_type="auto"), status="renewed")
    RenewalCaseFactory(policy=PolicyFactory(policy_type="health"), status="new")

    data = manager_client.get(STATS, {"policy_type": "health", "case_status": "resolved"}).json()[
        "data"
    ]

    assert data["totalCases"] == 1


def test_stats_week_range_excludes_old_cases(manager_client):
    old = RenewalCaseFactory()
    RenewalCase.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=20))
    RenewalCaseFactory()

    assert manager_client.get(STATS, {"date_range": "week"}).json()["data"]["totalCases"] == 1
    assert manager_client.get(STATS, {"date_range": "month"}).json()["data"]["totalCases"] == 2


def test_stats_custom_range_requires_dates(manager_client):
    response = manager_client.get(STATS, {"date_range": "custom"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_stats_custom_range(manager_client):
    case = RenewalCaseFactory()
    day = timezone.localdate()

    data = manager_client.get(
        STATS,
        {"date_range": "custom", "start_date": day.isoformat(), "end_date": day.isoformat()},
    ).json()["data"]

    assert data["totalCases"] == 1
    assert case.pk


def test_stats_dates_without_date_range_are_a_custom_range(manager_client):
    old = RenewalCaseFactory()
    RenewalCase.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=20))
    RenewalCaseFactory()
    day = timezone.localdate().isoformat()

    data = manager_client.get(STATS, {"start_date": day, "end_date": day}).json()["data"]

    assert data["totalCases"] == 1


def test_stats_start_date_alone_asks_for_end_date(manager_client):
    response = manager_client.get(STATS, {"start_date": timezone.localdate().isoformat()})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_stats_reflect_callers_own_change_immediately(agent_client, agent_user):
    case = RenewalCaseFactory(assigned_to=agent_user)
    assert agent_client.get(STATS).json()["data"]["renewed"] == 0

    agent_client.put(f"/api/v1/cases/{case.pk}", {"status": "renewed"}, format="json")

    assert agent_client.get(STATS).json()["data"]["renewed"] == 1


def test_stats_constant_query_count(manager_client, django_assert_max_num_queries):
    RenewalCaseFactory.create_batch(20)

    with django_assert_max_num_queries(6):
        manager_client.get(STATS)


def test_trends_week_has_seven_days(manager_client):
    RenewalCaseFactory()
    closed = RenewalCaseFactory(status="renewed")
    RenewalCase.objects.filter(pk=closed.pk).update(closed_at=timezone.now())

    data = manager_client.get("/api/v1/dashboard/trends", {"date_range": "week"}).json()["data"]

    assert len(data) == 7
    assert set(data[-1]) >= {"name", "newCases", "renewals", "successRate"}
    assert data[-1]["newCases"] == 2
    assert data[-1]["renewals"] == 1
    assert data[-1]["successRate"] == 1.0
    assert data[-1]["name"] == timezone.localdate().strftime("%a")


def test_batch_status_shape(manager_client, manager_user):
    batch = UploadBatch.objects.create(
        file_name="renewal_batch_2024_01.xlsx", uploaded_by=manager_user, total_records=3
    )
    RenewalCaseFactory(batch=batch, status="renewed", amount_paid=Decimal("25000"))
    RenewalCaseFactory(batch=batch, status="in_progress")
    RenewalCaseFactory(batch=batch, status="new")

    data = manager_client.get("/api/v1/dashboard/batch-status").json()["data"]

    assert data[0]["id"] == batch.pk
    assert data[0]["fileName"] == "renewal_batch_2024_01.xlsx"
    assert data[0]["status"] == {"renewed": 1, "inProgress": 1, "pending": 1, "failed": 0}
    assert data[0]["payment"] == {"received": 25000, "pending": 50000}


def test_batch_status_for_agent_lists_only_batches_with_their_cases(client_for):
    agent = UserFactory(role="agent")
    mine = UploadBatch.objects.create(file_name="a.csv", total_records=1)
    UploadBatch.objects.create(file_name="b.csv", total_records=1)
    RenewalCaseFactory(batch=mine, assigned_to=agent)

    data = client_for(agent).get("/api/v1/dashboard/batch-status").json()["data"]

    assert [b["id"] for b in data] == [mine.pk]


def test_viewer_may_read_dashboard(viewer_client):
    assert viewer_client.get(STATS).status_code == 200


def test_trends_success_rate_is_a_float_even_without_closed_cases(manager_client):
    RenewalCaseFactory()

    data = manager_client.get("/api/v1/dashboard/trends", {"date_range": "week"}).json()["data"]

    assert all(type(row["successRate"]) is float for row in data)


def test_batch_status_uploaded_at_is_utc_with_z(manager_client, manager_user):
    batch = UploadBatch.objects.create(file_name="b.csv", uploaded_by=manager_user, total_records=1)
    RenewalCaseFactory(batch=batch)

    data = manager_client.get("/api/v1/dashboard/batch-status").json()["data"]

    assert data[0]["uploadedAt"].endswith("Z")
