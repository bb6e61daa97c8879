import pytest

from files.selectors import file_list_for_entity
from tests.files.helpers import file_url, upload
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def test_file_list_for_entity_returns_live_files_oldest_first(agent_client, agent_user):
    case, other = (
        RenewalCaseFactory(assigned_to=agent_user),
        RenewalCaseFactory(assigned_to=agent_user),
    )
    ids = [
        upload(agent_client, name=f"{n}.txt", data=f"{n}\n".encode(), entity_id=c.pk).json()[
            "data"
        ]["id"]
        for n, c in (("a", case), ("b", other), ("c", case), ("d", case))
    ]
    agent_client.delete(file_url(ids[3]))

    files = file_list_for_entity(entity_type="case", entity_ids=[case.pk, other.pk])

    assert [f.pk for f in files] == ids[:3]
    assert list(file_list_for_entity(entity_type="policy", entity_ids=[case.pk])) == []
