"""Migration uploads.0003 maps the stored batches of the old status vocabulary (issue 13)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.accounts.factories import seed_roles

BEFORE = [("uploads", "0002_batch_processing_state")]
AFTER = [("uploads", "0003_batch_status_stage")]


@pytest.fixture
def _roles_back_after_flush(django_db_blocker):
    """A transactional test ends with a flush that also removes the roles the migrations
    seeded; put them back for later tests on the same database."""
    yield
    with django_db_blocker.unblock():
        seed_roles()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_roles_back_after_flush")
def test_old_statuses_become_status_and_stage():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("uploads", "UploadBatch")
    cases = {
        "pending": {},
        "validating": {"attempts": 1},
        "processing": {"attempts": 1},
        "awaiting_approval": {},
        "completed": {},
        "completed_with_errors": {"failed_records": 3},
        "failed": {},
        "rejected": {},
    }
    ids = {
        status: old.objects.create(file_name=f"{status}.csv", status=status, **extra).pk
        for status, extra in cases.items()
    }
    fresh = old.objects.create(file_name="new.csv", status="processing").pk

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("uploads", "UploadBatch")
    got = {
        status: tuple(new.objects.values_list("status", "stage", "failed_records").get(pk=pk))
        for status, pk in ids.items()
    }

    assert got == {
        "pending": ("processing", "queued", 0),
        "validating": ("processing", "validating", 0),
        "processing": ("processing", "writing", 0),
        "awaiting_approval": ("awaiting_approval", "validated", 0),
        "completed": ("completed", "done", 0),
        "completed_with_errors": ("completed", "done", 3),
        "failed": ("failed", "done", 0),
        "rejected": ("rejected", "done", 0),
    }
    assert new.objects.values_list("status", "stage").get(pk=fresh) == ("processing", "queued")
    # Back to the latest state of every app for the rest of the session.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
