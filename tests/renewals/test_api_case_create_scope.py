"""POST /cases by agents (issue 13 hole 12): an agent may only assign a new case to
themselves, and a created case's 201 body never depends on re-reading it through the
caller's scope."""

import pytest

from renewals.models import RenewalCase
from tests.accounts.factories import BranchFactory, UserFactory
from tests.renewals.factories import PolicyFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/cases"


def test_agent_cannot_create_a_case_assigned_to_another_agent(agent_client, agent_user):
    other = UserFactory(role="agent")
    policy = PolicyFactory(agent=agent_user)

    response = agent_client.post(
        LIST_URL, {"policy_id": policy.pk, "assigned_to": other.pk}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "forbidden"
    assert not RenewalCase.objects.filter(policy=policy).exists()


def test_agent_may_assign_a_new_case_to_themselves(agent_client, agent_user):
    policy = PolicyFactory(agent=agent_user)

    response = agent_client.post(
        LIST_URL, {"policy_id": policy.pk, "assigned_to": agent_user.pk}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["assigned_to"]["id"] == agent_user.pk


def test_agents_new_case_without_assignee_is_theirs(agent_client, agent_user):
    policy = PolicyFactory(agent=agent_user)

    response = agent_client.post(LIST_URL, {"policy_number": policy.policy_number}, format="json")

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["assigned_to"]["id"] == agent_user.pk
    assert agent_client.get(f"{LIST_URL}/{data['id']}").status_code == 200


def test_created_case_body_does_not_depend_on_the_creators_scope(client_for, agent_user):
    """A branch manager opens a case on their branch's policy and gives it to an agent; the
    201 body is the case as created, even though it is built without the creator's scope
    (and it stays readable by the manager and the assignee)."""
    branch = BranchFactory()
    manager = UserFactory(role="manager", branch=branch)
    policy = PolicyFactory(branch=branch)

    response = client_for(manager).post(
        LIST_URL, {"policy_id": policy.pk, "assigned_to": agent_user.pk}, format="json"
    )

    assert response.status_code == 201
    data = response.json()["data"]
    case = RenewalCase.objects.get(pk=data["id"])
    assert data["case_number"] == case.case_number
    assert data["assigned_to"]["id"] == agent_user.pk
    assert data["policy"]["branch"]["id"] == branch.pk
    assert data["timeline"][0]["action"] == "Case created"
    assert client_for(agent_user).get(f"{LIST_URL}/{case.pk}").status_code == 200


def test_agent_still_cannot_reassign_or_bulk_assign(agent_client, agent_user):
    other = UserFactory(role="agent")
    policy = PolicyFactory(agent=agent_user)
    case_id = agent_client.post(LIST_URL, {"policy_id": policy.pk}, format="json").json()["data"][
        "id"
    ]

    one = agent_client.post(
        f"{LIST_URL}/{case_id}/assign", {"assigned_to": other.pk}, format="json"
    )
    bulk = agent_client.post(
        f"{LIST_URL}/bulk-assign", {"case_ids": [case_id], "assigned_to": other.pk}, format="json"
    )

    assert one.status_code == 403
    assert one.json()["error"]["code"] == "case_assign_forbidden"
    assert bulk.status_code == 403
    assert bulk.json()["error"]["code"] == "case_assign_forbidden"
    assert RenewalCase.objects.get(pk=case_id).assigned_to_id == agent_user.pk
