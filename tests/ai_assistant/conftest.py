import datetime as dt

import pytest
from django.utils import timezone

from ai_assistant.services import knowledge_seed
from renewals.models import RenewalCase
from tests.accounts.factories import BranchFactory, UserFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

S = RenewalCase.Status


@pytest.fixture
def knowledge(django_capture_on_commit_callbacks):
    """The shipped starter documents, indexed (the index task runs on commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        knowledge_seed()


def make_case(*, branch, status, days_from_today, assigned_to=None, **extra):
    renewal_date = timezone.localdate() + dt.timedelta(days=days_from_today)
    policy = PolicyFactory(
        branch=branch,
        end_date=renewal_date,
        renewal_date=renewal_date,
        policy_type=extra.pop("policy_type", "auto"),
    )
    return RenewalCaseFactory(
        policy=policy, status=status, assigned_to=assigned_to, renewal_date=renewal_date, **extra
    )


@pytest.fixture
def book(agent_user):
    """A small book with known figures (decided cases due in the last 30 days):

    North: 3 renewed (auto), 1 lost on price (health) → 75%
    South: 1 renewed (health), 3 lapsed (auto)      → 25%
    Open: 2 overdue (1 unassigned, 1 the agent's), 1 due in 10 days (agent's), 1 unassigned
    due in 60 days.
    """
    north = BranchFactory(code="NOR", name="North")
    south = BranchFactory(code="SOU", name="South")
    for _ in range(3):
        make_case(branch=north, status=S.RENEWED, days_from_today=-10)
    make_case(
        branch=north, status=S.LOST, days_from_today=-5, lost_reason="price", policy_type="health"
    )
    make_case(branch=south, status=S.RENEWED, days_from_today=-12, policy_type="health")
    for _ in range(3):
        make_case(branch=south, status=S.LAPSED, days_from_today=-20)
    overdue_unassigned = make_case(branch=north, status=S.IN_PROGRESS, days_from_today=-3)
    agent_overdue = make_case(
        branch=south, status=S.NEW, days_from_today=-2, assigned_to=agent_user
    )
    agent_due = make_case(branch=south, status=S.NEW, days_from_today=10, assigned_to=agent_user)
    make_case(branch=north, status=S.NEW, days_from_today=60)
    return {
        "north": north,
        "south": south,
        "agent_overdue": agent_overdue,
        "agent_due": agent_due,
        "overdue_unassigned": overdue_unassigned,
    }


@pytest.fixture
def other_agent(db):
    return UserFactory(role="agent")
