"""`make bench`: run every benchmark module (or those named) and print their figures.

Usage: python bench/run.py [names...] [--full]
Each module in bench/ that defines `main(argv) -> int` is a benchmark; `--full` is passed on
for the issues' full-size targets (1M cases, 100k rows, 1,000 websocket clients...).
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Order: the cheap baseline first; then the domain benchmarks.
BENCHMARKS = [
    "baseline_api",
    "accounts_auth",
    "renewals_api",
    "uploads_batch",
    "files_upload",
    "notifications_ws",
]


def main(argv: list[str]) -> int:
    is_name = [not a.startswith("-") and (ROOT / "bench" / f"{a}.py").exists() for a in argv]
    names = [a for a, name in zip(argv, is_name, strict=True) if name] or BENCHMARKS
    passthrough = [a for a, name in zip(argv, is_name, strict=True) if not name]
    print(f"# Intelipro benchmarks - {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"# machine: {platform.node()} {platform.machine()} {platform.processor() or ''} "
        f"cpus={__import__('os').cpu_count()} python={platform.python_version()}"
    )
    failures = 0
    for name in names:
        path = ROOT / "bench" / f"{name}.py"
        if not path.exists():
            print(f"\n## {name}: not present, skipped")
            continue
        module = importlib.import_module(f"bench.{name}")
        started = time.monotonic()
        code = module.main(passthrough)
        print(f"## {name} finished in {time.monotonic() - started:.0f}s (exit {code})")
        failures += bool(code)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
