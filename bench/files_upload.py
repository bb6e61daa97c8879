"""Files: 10 MB and 100 MB uploads end to end over a real uvicorn server on loopback.

Each upload goes through everything a user's does: HTTP multipart receive, streaming to a
temp file with sha256, libmagic type check, clamd scan (a real clamd, EICAR-only database,
started here), storage on local disk, the DB rows and the audit event. Every upload has
unique content so deduplication never short-cuts the work.

Baselines measured in the same run: sha256 alone and a clamd INSTREAM scan alone of the same
bytes (the floor of the pipeline), and clamd's stock client (1 KiB chunks) for the scanner
transport we replaced. Target (issue #6): 10 MB end to end <= 1 s.

Usage: python bench/run.py files_upload [--full]    (--full: more repetitions, 100 MB PDF too)
Database: a scratch SQLite by default, BENCH_DATABASE_URL for PostgreSQL.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def _setup(db_url: str | None, media: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-files-"))
    os.environ["DATABASE_URL"] = db_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "intelipro.settings.local"
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ["EMBEDDED_WORKER"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def csv_payload(size: int, salt: bytes) -> bytes:
    header = b"policy_number,customer,premium,renewal_date,notes\n"
    row = b"POL-%08d,Customer %08d,%d.00,2026-12-31,renewal call scheduled\n"
    rows = [header, b"# " + salt.hex().encode() + b"\n"]
    n, total = 0, len(header)
    while total < size:
        line = row % (n, n, 1000 + n % 50000)
        rows.append(line)
        total += len(line)
        n += 1
    return b"".join(rows)[:size].rsplit(b"\n", 1)[0] + b"\n"


def pdf_payload(size: int, salt: bytes) -> bytes:
    """A PDF whose bulk is one incompressible stream (like a scanned document)."""
    blob = secrets.token_bytes(size - 400) + salt
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    head += b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
    head += b"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>> endobj\n"
    stream = b"4 0 obj <</Length %d>> stream\n" % len(blob) + blob + b"\nendstream endobj\n"
    return head + stream + b"trailer <</Root 1 0 R>>\n%%EOF\n"


def multipart(data: bytes, name: str, entity_id: int) -> tuple[bytes, str]:
    boundary = "bench" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="entity_type"\r\n\r\nbatch\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="entity_id"\r\n\r\n{entity_id}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n",
    ]
    body = "".join(parts).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _rss_peak_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="files_upload")
    parser.add_argument("--full", action="store_true")
    args, _rest = parser.parse_known_args(argv)
    reps_10 = 10 if args.full else 5
    reps_100 = 3 if args.full else 1

    import requests

    from bench.common import free_port, wait_for_port
    from testing.clamd import clamd_start

    media = Path(tempfile.mkdtemp(prefix="bench-files-media-"))
    _setup(os.environ.get("BENCH_DATABASE_URL"), media)
    import clamd as clamd_lib

    from accounts.models import Role, User
    from accounts.tokens import access_token_for
    from files.scanning import ClamAVScanner
    from uploads.models import UploadBatch

    admin = User.objects.create_user(
        email=f"bench-files-{secrets.token_hex(4)}@example.com",
        password=secrets.token_urlsafe(16),
        first_name="Bench",
        last_name="Files",
        role=Role.objects.get(name="admin"),
    )
    batch = UploadBatch.objects.create(file_name="bench.xlsx", uploaded_by=admin)
    headers = {"Authorization": f"Bearer {access_token_for(admin)}"}

    clamd_dir = Path(tempfile.mkdtemp(prefix="bench-clamd-"))
    clamd, clamd_proc = clamd_start(clamd_dir)
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "CLAMAV_URL": clamd.unix_url,
            "FILES_MAX_UPLOAD_BYTES": str(150 * MB),
            "FILES_SYNC_SCAN_MAX_BYTES": str(150 * MB),  # scan inside the request: end to end
            "THROTTLE_UPLOAD": "100000000/h",
            "THROTTLE_API_GENERAL": "100000000/h",
            "DJANGO_DEBUG": "false",
        }
    )
    cmd = [
        sys.executable, "-m", "uvicorn", "intelipro.asgi:application", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning", "--lifespan", "on",
    ]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    rows: list[tuple[str, int, float, float, float]] = []
    failures = 0
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}/api/v1/files/upload"
        session = requests.Session()

        def run(kind: str, size: int, reps: int) -> list[float]:
            nonlocal failures
            times = []
            for i in range(reps + 1):  # first one warms up imports/connections
                salt = secrets.token_bytes(16)
                data = (pdf_payload if kind == "pdf" else csv_payload)(size, salt)
                body, ctype = multipart(data, f"bench-{i}.{kind}", batch.pk)
                started = time.perf_counter()
                response = session.post(
                    url, data=body, headers={**headers, "Content-Type": ctype}, timeout=300
                )
                elapsed = time.perf_counter() - started
                payload = response.json()
                ok = response.status_code == 201 and payload["data"]["virus_scan_status"] == "clean"
                if not ok:
                    failures += 1
                    print(f"  upload failed: {response.status_code} {str(payload)[:300]}")
                if i:
                    times.append(elapsed)
            return times

        def floor(size: int, kind: str = "csv") -> tuple[float, float, float]:
            """Median of 3; fresh bytes each time (clamd caches verdicts by md5)."""
            make = pdf_payload if kind == "pdf" else csv_payload
            out: list[list[float]] = [[], [], []]
            for _ in range(3):
                data = [make(size, secrets.token_bytes(16)) for _ in range(3)]
                t0 = time.perf_counter()
                hashlib.sha256(data[0]).hexdigest()
                out[0].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                ClamAVScanner(clamd.unix_url).scan(io.BytesIO(data[1]))
                out[1].append(time.perf_counter() - t0)
                stock = clamd_lib.ClamdUnixSocket(path=str(clamd.socket_path), timeout=300)
                t0 = time.perf_counter()
                stock.instream(io.BytesIO(data[2]))  # clamd 1.0.2's own 1 KiB-chunk client
                out[2].append(time.perf_counter() - t0)
            return tuple(statistics.median(x) for x in out)  # type: ignore[return-value]

        print("\n## files_upload: end-to-end uploads over uvicorn on loopback, clamd scanning")
        print(f"reps: 10 MB x{reps_10}, 100 MB x{reps_100} (after one warm-up each)\n")
        print("| upload | n | median s | min s | max s | MB/s |")
        print("|---|---:|---:|---:|---:|---:|")
        plan = [("csv", 10 * MB, reps_10), ("pdf", 10 * MB, reps_10), ("csv", 100 * MB, reps_100)]
        if args.full:
            plan.append(("pdf", 100 * MB, reps_100))
        medians: dict[tuple[str, int], float] = {}
        for kind, size, reps in plan:
            times = run(kind, size, reps)
            med = statistics.median(times)
            medians[(kind, size)] = med
            rows.append((f"{size // MB} MB {kind}", len(times), med, min(times), max(times)))
            print(
                f"| {size // MB} MB {kind} | {len(times)} | {med:.3f} | {min(times):.3f} | "
                f"{max(times):.3f} | {size / MB / med:.0f} |"
            )
        print(f"\nserver peak RSS after the 100 MB uploads: {_rss_peak_mb(server.pid):.0f} MB")

        print("\n| baseline (same bytes, in-process) | 10 MB s | 100 MB s |")
        print("|---|---:|---:|")
        f10, f100, p10 = floor(10 * MB), floor(100 * MB), floor(10 * MB, "pdf")
        print(f"| sha256 alone | {f10[0]:.3f} | {f100[0]:.3f} |")
        print(f"| clamd INSTREAM, 1 MiB chunks (ours) | {f10[1]:.3f} | {f100[1]:.3f} |")
        print(f"| clamd INSTREAM, clamd 1.0.2 stock client | {f10[2]:.3f} | {f100[2]:.3f} |")
        print(f"| clamd INSTREAM of the 10 MB PDF (ours) | {p10[1]:.3f} | - |")
        e2e10 = medians[("csv", 10 * MB)]
        e2e100 = medians[("csv", 100 * MB)]
        print(
            f"\nratios: end-to-end / (sha256 + scan) = {e2e10 / (f10[0] + f10[1]):.1f}x at 10 MB, "
            f"{e2e100 / (f100[0] + f100[1]):.1f}x at 100 MB; stock client / ours = "
            f"{f10[2] / f10[1]:.1f}x at 10 MB"
        )
        target = max(medians[("csv", 10 * MB)], medians[("pdf", 10 * MB)])
        verdict = "MET" if target <= 1.0 else "MISSED"
        print(f"target 10 MB <= 1 s: {verdict} (slowest 10 MB median {target:.3f} s)")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        clamd_proc.terminate()
        clamd_proc.wait(timeout=15)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
