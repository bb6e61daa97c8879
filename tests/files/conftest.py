"""Real peers for the files tests: a clamd daemon (custom EICAR signature only, no freshclam)
and moto's S3 server on loopback, both started once per session."""

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.files.samples import EICAR

CLAMD_BINARIES = ("/usr/sbin/clamd", "/usr/bin/clamd")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Clamd:
    socket_path: Path
    port: int
    pid: int

    @property
    def unix_url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def tcp_url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"


def clamd_start(workdir: Path) -> tuple[Clamd, subprocess.Popen]:
    """Start clamd with a database holding only the EICAR md5 (.hdb), as in SERVICES.md."""
    binary = shutil.which("clamd") or next((b for b in CLAMD_BINARIES if os.path.exists(b)), None)
    if binary is None:
        raise RuntimeError(
            "clamd is not installed: apt-get install clamav-daemon clamdscan (.ci/run does)"
        )
    db = workdir / "db"
    db.mkdir(parents=True, exist_ok=True)
    (db / "test.hdb").write_text(
        f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Intelipro.Test.EICAR\n"  # noqa: S324 - ClamAV's hash format
    )
    sock = workdir / "clamd.sock"
    port = free_port()
    conf = workdir / "clamd.conf"
    conf.write_text(
        f"DatabaseDirectory {db}\nLocalSocket {sock}\nTCPSocket {port}\nTCPAddr 127.0.0.1\n"
        f"LogFile {workdir / 'clamd.log'}\nPidFile {workdir / 'clamd.pid'}\nForeground yes\n"
        "StreamMaxLength 200M\nMaxFileSize 200M\nMaxScanSize 400M\n"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"clamd exited: {proc.stderr.read().decode(errors='replace')}")
        if sock.exists():
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(str(sock))
                    s.sendall(b"zPING\0")
                    if s.recv(16).startswith(b"PONG"):
                        return Clamd(socket_path=sock, port=port, pid=proc.pid), proc
            except OSError:
                pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("clamd did not answer PING within 30 s")


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
