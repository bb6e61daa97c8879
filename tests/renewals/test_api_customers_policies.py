import pytest

from tests.accounts.factories import BranchFactory, UserFactory
from tests.renewals.factories import CustomerFactory, PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db


def test_customers_list_paginated_under_customers_key(manager_client):
    CustomerFactory.create_batch(3)

    data = manager_client.get("/api/v1/customers").json()["data"]

    assert len(data["customers"]) == 3
    assert data["pagination"]["total_records"] == 3
    assert {"id", "customer_code", "name", "email", "phone", "kyc_status"} <= set(
        data["customers"][0]
    )


def test_customer_search(manager_client):
    hit = CustomerFactory(last_name="Haversham")
    CustomerFactory(last_name="Smith")

    customers = manager_client.get("/api/v1/customers", {"search": "havers"}).json()["data"][
        "customers"
    ]

    assert [c["id"] for c in customers] == [hit.pk]


def test_customer_detail_with_policies_and_cases(manager_client):
    case = RenewalCaseFactory()
    customer = case.policy.customer

    data = manager_client.get(f"/api/v1/customers/{customer.pk}").json()["data"]

    assert data["policies"][0]["policy_number"] == case.policy.policy_number
    assert data["cases"][0]["case_number"] == case.case_number


def test_agent_sees_only_customers_of_their_cases(agent_client, agent_user):
    mine = RenewalCaseFactory(assigned_to=agent_user)
    other = RenewalCaseFactory()

    customers = agent_client.get("/api/v1/customers").json()["data"]["customers"]

    assert [c["id"] for c in customers] == [mine.policy.customer_id]
    assert agent_client.get(f"/api/v1/customers/{other.policy.customer_id}").status_code == 404


def test_policies_list_and_filter(manager_client):
    PolicyFactory(policy_type="life")
    PolicyFactory(policy_type="auto")

    data = manager_client.get("/api/v1/policies", {"policy_type": "life"}).json()["data"]

    assert [p["policy_type"] for p in data["policies"]] == ["Life"]


def test_policy_detail_with_cases(manager_client):
    case = RenewalCaseFactory()

    data = manager_client.get(f"/api/v1/policies/{case.policy_id}").json()["data"]

    assert data["policy_number"] == case.policy.policy_number
    assert data["premium_amount"] == 25000
    assert [c["id"] for c in data["cases"]] == [case.pk]


def test_agent_gets_404_for_unrelated_policy(agent_client):
    policy = PolicyFactory()

    assert agent_client.get(f"/api/v1/policies/{policy.pk}").status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_policies_query_count_constant(manager_client, django_assert_max_num_queries, size):
    PolicyFactory.create_batch(size, agent=UserFactory(role="agent"))

    with django_assert_max_num_queries(6):
        response = manager_client.get("/api/v1/policies", {"limit": size})

    assert len(response.json()["data"]["policies"]) == size


@pytest.mark.parametrize("size", [3, 30])
def test_customers_query_count_constant(manager_client, django_assert_max_num_queries, size):
    CustomerFactory.create_batch(size)

    with django_assert_max_num_queries(6):
        manager_client.get("/api/v1/customers", {"limit": size})


def test_branches_list(manager_client):
    manager = UserFactory(role="manager")
    branch = BranchFactory(code="MUM01", name="Mumbai Central", region="west", manager=manager)

    data = manager_client.get("/api/v1/branches").json()["data"]

    row = next(b for b in data if b["id"] == branch.pk)
    assert row == {
        "id": branch.pk,
        "code": "MUM01",
        "name": "Mumbai Central",
        "region": "west",
        "manager": {"id": manager.pk, "name": manager.full_name},
    }
