"""Real peers for the files tests: a clamd daemon (custom EICAR signature only, no freshclam)
and moto's S3 server on loopback, both started once per session (testing/clamd.py, shared
with the benchmarks)."""

import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.clamd import Clamd, clamd_start, free_port


@pytest.fixture(scope="session")
def clamd_server() -> Iterator[Clamd]:
    workdir = Path(tempfile.mkdtemp(prefix="intelipro-clamd-"))
    server, proc = clamd_start(workdir)
    yield server
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def clamav(settings, clamd_server: Clamd) -> Clamd:
    """Scanning with the real clamd over its unix socket."""
    settings.CLAMAV_URL = clamd_server.unix_url
    return clamd_server


@pytest.fixture(autouse=True)
def files_media(settings, tmp_path: Path) -> Path:
    """Each test stores files in its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CLAMAV_URL = ""
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """moto's S3 server on loopback; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(settings, moto_s3: str) -> str:
    """Route the `files` storage to a fresh bucket on the moto server (real boto3 path)."""
    import boto3

    bucket = f"intelipro-files-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_s3,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "endpoint_url": moto_s3,
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": True,
                "querystring_expire": 60,
                "signature_version": "s3v4",
                "object_parameters": {"ServerSideEncryption": "AES256"},
            },
        },
    }
    return bucket
