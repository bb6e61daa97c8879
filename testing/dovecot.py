"""A real Dovecot IMAP server on loopback for tests and benchmarks (../shared/SERVICES.md recipe).

A standalone config (no /etc/dovecot/conf.d, so no SSL): plain-text logins on a free port,
users in a passwd-file that Dovecot re-reads when it changes, so a test adds the mailboxes it
needs. The binary comes from Debian's dovecot-imapd, installed by scripts/setup-system.sh.
"""

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from testing.clamd import free_port

DOVECOT_BINARIES = ("/usr/sbin/dovecot", "/usr/bin/dovecot")
MAIL_USER = "vmail"
POOL_SIZE = 500  # mailboxes per server (one per test that needs one)


def _pool_user(n: int) -> tuple[str, str]:
    return f"box{n}@example.com", f"imap-pass-{n}"


@dataclass
class Dovecot:
    workdir: Path
    port: int
    proc: subprocess.Popen

    host = "127.0.0.1"
    _next: int = 0

    @property
    def users_file(self) -> Path:
        return self.workdir / "users"

    def new_user(self) -> tuple[str, str]:
        """A mailbox nobody has used yet in this server's life: (username, password).

        The users are written before Dovecot starts (POOL_SIZE of them): Dovecot re-reads a
        changed passwd-file only when it notices the change, which races with a fast test.
        """
        self._next += 1
        if self._next > POOL_SIZE:
            raise RuntimeError(f"more than {POOL_SIZE} mailboxes asked of one Dovecot")
        return _pool_user(self._next)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _ensure_mail_user() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(MAIL_USER)
    except KeyError:
        subprocess.run(
            [
                "/usr/sbin/useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                MAIL_USER,
            ],
            check=True,
        )
        entry = pwd.getpwnam(MAIL_USER)
    return entry.pw_uid, entry.pw_gid


def dovecot_start(workdir: Path) -> Dovecot:
    """Start Dovecot in the foreground in `workdir`; the caller stops it (Dovecot.stop)."""
    binary = shutil.which("dovecot") or next(
        (b for b in DOVECOT_BINARIES if os.path.exists(b)), None
    )
    if binary is None:
        raise RuntimeError(
            "dovecot is not installed: run scripts/setup-system.sh (make test does), or "
            "apt-get install dovecot-imapd"
        )
    uid, gid = _ensure_mail_user()
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o755)  # noqa: S103 - Dovecot's unprivileged processes read the config and users
    (workdir / "run").mkdir(exist_ok=True)
    mail = workdir / "mail"
    mail.mkdir(exist_ok=True)
    os.chown(mail, uid, gid)
    users = workdir / "users"
    users.write_text(
        "".join(f"{u}:{{PLAIN}}{p}\n" for u, p in map(_pool_user, range(1, POOL_SIZE + 1)))
    )
    os.chmod(users, 0o644)
    port = free_port()
    conf = workdir / "dovecot.conf"
    conf.write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {workdir / "run"}
log_path = {workdir / "dovecot.log"}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
default_internal_user = dovecot
default_login_user = dovenull
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    auto = subscribe
    special_use = \\Sent
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
    )
    proc = subprocess.Popen(
        [binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dovecot exited: {proc.stderr.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    return Dovecot(workdir=workdir, port=port, proc=proc)
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("dovecot did not greet within 30 s")
