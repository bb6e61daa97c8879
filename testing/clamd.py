"""A real clamd on loopback for tests and benchmarks: a database holding only the EICAR test
signature (.hdb), so it starts in a second and needs no freshclam download. The binary comes
from Debian's clamav-daemon, installed by scripts/setup-system.sh."""

import hashlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# The industry-standard antivirus test string: every scanner reports it, it harms nothing.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

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
    """Start clamd in `workdir` with the EICAR-only database; the caller stops the process."""
    binary = shutil.which("clamd") or next((b for b in CLAMD_BINARIES if os.path.exists(b)), None)
    if binary is None:
        raise RuntimeError(
            "clamd is not installed: run scripts/setup-system.sh (make test does), or "
            "apt-get install clamav-daemon clamdscan"
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
