"""Fixtures of the core tests."""

import pytest
from django.db import connection

from tests.core.encrypted_probe import EncryptedProbe


@pytest.fixture(scope="session")
def encrypted_probe_table(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            # --reuse-db: a run that was killed may have left the table behind.
            editor.execute("DROP TABLE IF EXISTS test_encrypted_probe")
            editor.create_model(EncryptedProbe)
        yield EncryptedProbe
        with connection.schema_editor() as editor:
            editor.execute("DROP TABLE IF EXISTS test_encrypted_probe")
