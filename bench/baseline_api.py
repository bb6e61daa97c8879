"""Baseline: a bare Django JSON view vs the same payload through DRF with the envelope.

Both over a real uvicorn server on loopback at fixed concurrency; prints req/s, p50/p95/p99
and the cost ratio of the full API stack (middleware + DRF + renderer) over the floor.
"""

from __future__ import annotations

import argparse
import sys

from bench.common import bench_env, print_table, run_load, uvicorn_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per arm")
    parser.add_argument("--full", action="store_true", help="longer runs (15 s x 3 rounds)")
    args = parser.parse_args(argv)
    if args.full:
        args.seconds, args.rounds = 15.0, 3

    print(
        f"\n## baseline_api: bare Django vs enveloped DRF (c={args.concurrency}, {args.seconds}s x {args.rounds})"
    )
    with uvicorn_server(env=bench_env()) as port:
        plain, api = [], []
        for _ in range(args.rounds):  # interleaved so drift hits both arms alike
            plain.append(
                run_load(
                    "bare Django JsonResponse",
                    port,
                    "/bench/plain",
                    concurrency=args.concurrency,
                    seconds=args.seconds,
                )
            )
            api.append(
                run_load(
                    "DRF + envelope (/api/v1/bench/envelope)",
                    port,
                    "/api/v1/bench/envelope",
                    concurrency=args.concurrency,
                    seconds=args.seconds,
                )
            )
    best_plain = max(plain, key=lambda r: r.rps)
    best_api = max(api, key=lambda r: r.rps)
    print_table([best_plain, best_api], baseline=best_plain)
    print(f"ratio DRF/bare throughput: {best_api.rps / best_plain.rps:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
