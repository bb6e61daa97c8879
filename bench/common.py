"""Shared benchmark tools: a real uvicorn server in a subprocess and a keep-alive HTTP load
generator at fixed concurrency. Benchmarks print figures; they never assert timings."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intelipro.uvicorn_options import UVICORN_OPTIONS  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def bench_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # The developer settings plus the benchmark-only floor views (bench/urls.py).
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["EMBEDDED_WORKER"] = "0"
    env["LOG_LEVEL"] = "WARNING"
    env["DJANGO_DEBUG"] = "false"
    env["THROTTLE_API_GENERAL"] = "100000000/h"  # measure the code, not the rate limit
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


# Port -> pid of the uvicorn process serving it (for RSS readings).
SERVER_PIDS: dict[int, int] = {}


def rss_mb(pid: int) -> float:
    """Resident memory of a live process, in MB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def uvicorn_server(*, env: dict[str, str] | None = None, workers: int = 1) -> Iterator[int]:
    """Serve intelipro.asgi on a free loopback port for the duration of the block."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", "intelipro.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
        "--log-level", "warning", "--workers", str(workers), "--lifespan", "on",
        *UVICORN_OPTIONS,  # the product's own server options (run_stack, Dockerfile)
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env or bench_env())
    SERVER_PIDS[port] = proc.pid
    try:
        wait_for_port(port)
        yield port
    finally:
        SERVER_PIDS.pop(port, None)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def uvicorn_servers(
    *, env: dict[str, str] | None = None, processes: int = 2
) -> Iterator[list[int]]:
    """`processes` single-worker uvicorn servers, each on its own port: what nginx in front of
    N stateless ASGI processes does (an upstream per process, connections spread round-robin).
    `uvicorn --workers N` shares one socket instead, and a handful of keep-alive connections
    opened at once often all land on the same worker, leaving the other idle."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(uvicorn_server(env=env)) for _ in range(processes)]


@dataclass
class LoadResult:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p95(self) -> float:
        return self.pct(0.95)

    @property
    def p99(self) -> float:
        return self.pct(0.99)


async def _client(
    port: int,
    path: str,
    headers: dict[str, str],
    stop_at: float,
    out: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    request = head.encode()
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            chunked = False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
                elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readline()).strip() or b"0", 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            elif length:
                await reader.readexactly(length)
            out.append((time.perf_counter() - started) * 1000)
            if not status_line.startswith(b"HTTP/1.1 2"):
                errors.append(1)
    finally:
        writer.close()


async def _load(
    ports: list[int], path: str, headers: dict[str, str], concurrency: int, seconds: float
) -> tuple[list[float], int, float]:
    out: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(
            _client(ports[i % len(ports)], path, headers, stop_at, out, errors)
            for i in range(concurrency)
        )
    )
    return out, len(errors), time.perf_counter() - started


def run_load(
    label: str,
    port: int | list[int],
    path: str,
    *,
    headers: dict[str, str] | None = None,
    concurrency: int = 16,
    seconds: float = 5.0,
    warmup: float = 1.0,
) -> LoadResult:
    ports = port if isinstance(port, list) else [port]
    if warmup:
        asyncio.run(_load(ports, path, headers or {}, concurrency, warmup))
    latencies, errors, elapsed = asyncio.run(
        _load(ports, path, headers or {}, concurrency, seconds)
    )
    return LoadResult(label, len(latencies), errors, elapsed, latencies)


def print_table(results: list[LoadResult], *, baseline: LoadResult | None = None) -> None:
    print(
        f"{'arm':<34}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}{'ratio':>8}"
    )
    for r in results:
        ratio = f"{baseline.rps / r.rps:.2f}x" if baseline and r.rps else ""
        print(
            f"{r.label:<34}{r.rps:>10.0f}{r.p50:>10.2f}{r.p95:>10.2f}{r.p99:>10.2f}{r.errors:>8}{ratio:>8}"
        )
