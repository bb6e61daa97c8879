import pytest

from tests.accounts.factories import BranchFactory, UserFactory
from tests.renewals.factories import RenewalCaseFactory


@pytest.fixture
def branch(db):
    return BranchFactory()


@pytest.fixture
def other_agent(db):
    return UserFactory(role="agent")


@pytest.fixture
def other_agent_client(client_for, other_agent):
    return client_for(other_agent)


@pytest.fixture
def agent_case(agent_user):
    return RenewalCaseFactory(assigned_to=agent_user)


@pytest.fixture
def webhook_secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = "whsec-test-0123456789"
    return settings.PAYMENT_WEBHOOK_SECRET
