"""`manage.py rotate_keys`: re-encrypts every encrypted column under the newest key."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command

from core.models import AuditEvent
from tests.core.encrypted_probe import EncryptedProbe, raw_column

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("encrypted_probe_table")]

OLD_KEY = "RkFLRS10ZXN0LW9sZC1maWVsZC1rZXktMDAwMDAwMDA="
NEW_KEY = "RkFLRS10ZXN0LW5ldy1maWVsZC1rZXktMDAwMDAwMDA="
PROBE = "core.EncryptedProbe"


def _rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_keys", "--model", PROBE, "--no-progress", *args, stdout=out)
    return out.getvalue()


def _probes_under_old_key(settings, count: int) -> list[EncryptedProbe]:
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    probes = [
        EncryptedProbe.objects.create(
            label=f"p{i}", secret=f"secret-{i}", email=f"p{i}@example.com", details={"i": i}
        )
        for i in range(count)
    ]
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    return probes


def _decrypts_with(key: str, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def test_dry_run_counts_stale_values_and_writes_nothing(settings):
    probes = _probes_under_old_key(settings, 3)
    before = [raw_column(EncryptedProbe, "secret", p.pk) for p in probes]

    out = _rotate()

    assert "DRY RUN" in out
    # secret, email and details of each row; code is "" and born is NULL (nothing to rotate).
    assert "9 values in 3 rows to re-encrypt" in out
    assert [raw_column(EncryptedProbe, "secret", p.pk) for p in probes] == before
    assert not AuditEvent.objects.filter(action="encryption.keys_rotated").exists()


def test_commit_re_encrypts_every_column_under_the_newest_key(settings):
    probes = _probes_under_old_key(settings, 5)

    out = _rotate("--commit", "--batch-size", "2")

    assert "15 values in 5 rows re-encrypted" in out
    for probe in probes:
        for column in ("secret", "email", "details"):
            token = raw_column(EncryptedProbe, column, probe.pk)
            assert _decrypts_with(NEW_KEY, token)
            assert not _decrypts_with(OLD_KEY, token)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key can now be dropped
    loaded = EncryptedProbe.objects.get(pk=probes[3].pk)
    assert (loaded.secret, loaded.email, loaded.details) == ("secret-3", "p3@example.com", {"i": 3})
    assert (loaded.code, loaded.born) == ("", None)


def test_commit_is_audited(settings):
    _probes_under_old_key(settings, 2)

    _rotate("--commit")

    event = AuditEvent.objects.get(action="encryption.keys_rotated")
    assert event.object_type == "core.encryptedprobe"
    assert event.changes == {
        "fields": ["secret", "code", "email", "phone", "born", "details"],
        "rows": 2,
        "values": 6,
    }


def test_a_second_run_finds_nothing_to_do(settings):
    _probes_under_old_key(settings, 3)
    _rotate("--commit")

    out = _rotate("--commit")

    assert "0 values in 0 rows re-encrypted" in out
    assert "3 rows scanned" in out


def test_a_rerun_after_an_interrupted_run_rotates_only_what_is_left(settings):
    probes = _probes_under_old_key(settings, 4)
    # What an interrupted run leaves: the first two rows already under the new key.
    for probe in probes[:2]:
        probe.save()

    out = _rotate("--commit", "--batch-size", "1")

    assert "6 values in 2 rows re-encrypted" in out
    assert all(_decrypts_with(NEW_KEY, raw_column(EncryptedProbe, "email", p.pk)) for p in probes)


def test_after_pk_resumes_from_a_watermark(settings):
    probes = _probes_under_old_key(settings, 3)

    out = _rotate("--commit", "--after-pk", str(probes[0].pk))

    assert "6 values in 2 rows re-encrypted" in out
    assert _decrypts_with(OLD_KEY, raw_column(EncryptedProbe, "email", probes[0].pk))


def test_models_are_discovered_by_field_type(settings):
    _probes_under_old_key(settings, 1)
    out = io.StringIO()

    call_command("rotate_keys", "--no-progress", stdout=out)

    assert "core.EncryptedProbe (secret, code, email, phone, born, details)" in out.getvalue()


def test_a_token_no_key_decrypts_stops_with_a_clear_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    EncryptedProbe.objects.create(secret="x")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(CommandError, match="FIELD_ENCRYPTION_KEYS"):
        _rotate("--commit")


def test_the_progress_bar_reports_rows(settings):
    _probes_under_old_key(settings, 2)
    out = io.StringIO()

    call_command("rotate_keys", "--model", PROBE, stdout=out)

    assert "2/2" in out.getvalue()


def test_unknown_model_is_refused():
    with pytest.raises(CommandError, match="Unknown model"):
        call_command("rotate_keys", "--model", "nope.Nothing", stdout=io.StringIO())


def test_values_under_the_newest_key_are_not_counted(settings):
    _probes_under_old_key(settings, 1)
    EncryptedProbe.objects.create(secret="written-under-the-new-key", email="n@example.com")

    assert "3 values in 1 rows to re-encrypt" in _rotate()
