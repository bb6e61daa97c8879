"""Accounts: sign-in cost with the real Argon2 hasher, timing parity of unknown email vs
wrong password (no user enumeration by timing), refresh rotation, and the per-request cost
of session-aware bearer authentication vs simplejwt's stock class.

In-process through Django's test client (routing, middleware, DRF, renderer all run), on a
scratch database: SQLite by default, PostgreSQL with BENCH_DATABASE_URL. Prints figures; it
never asserts. `--full` runs 5x the iterations.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Bench-Password-Secret-1"


def _setup(db_url: str | None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-accounts-"))
    os.environ["DATABASE_URL"] = db_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "intelipro.settings.local"
    os.environ["THROTTLE_LOGIN"] = "100000000/15m"  # measure the code, not the limit
    os.environ["THROTTLE_API_GENERAL"] = "100000000/h"
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ["EMBEDDED_WORKER"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _time(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _row(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(int(0.95 * len(ordered)), len(ordered) - 1)]
    return f"| {label:<44} | {len(samples):>5} | {statistics.median(samples):>8.2f} | {p95:>8.2f} |"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="accounts_auth")
    parser.add_argument("--full", action="store_true")
    args, _rest = parser.parse_known_args(argv)
    n_login = 100 if args.full else 20
    n_requests = 2500 if args.full else 500

    _setup(os.environ.get("BENCH_DATABASE_URL"))
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework_simplejwt.authentication import JWTAuthentication as StockJWT

    from accounts.authentication import JWTAuthentication
    from accounts.models import User

    email = "bench.user@example.com"
    if not User.objects.filter(email=email).exists():
        User.objects.create_user(
            email=email, password=PASSWORD, first_name="Bench", last_name="User", role="manager"
        )
    client = Client()

    def login(password: str, who: str = email):
        return client.post(
            "/api/v1/auth/login",
            {"email": who, "password": password},
            content_type="application/json",
        )

    assert login(PASSWORD).status_code == 200  # sanity, not a timing assertion
    print(
        f"\n## accounts_auth (hasher: {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1]}, "
        f"db: {connection.vendor})"
    )
    print("| operation | n | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    ok = _time(lambda: login(PASSWORD), n_login)
    wrong = _time(lambda: login("Wrong-Password-Secret-1"), n_login)
    unknown = _time(lambda: login("Wrong-Password-Secret-1", "nobody@example.com"), n_login)
    cache.clear()
    print(_row("POST /auth/login (right password)", ok))
    print(_row("POST /auth/login (wrong password)", wrong))
    print(_row("POST /auth/login (unknown email)", unknown))

    tokens = login(PASSWORD).json()["data"]
    refresh = [tokens["refresh_token"]]

    def rotate():
        response = client.post(
            "/api/v1/auth/refresh",
            {"refresh_token": refresh[0]},
            content_type="application/json",
        )
        refresh[0] = response.json()["data"]["refresh_token"]

    print(_row("POST /auth/refresh (rotation)", _time(rotate, n_login * 5)))

    # Every access token carries its session (a token without one is refused, issue 13).
    session_token = login(PASSWORD).json()["data"]["access_token"]
    me_session = _time(
        lambda: client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {session_token}"),
        n_requests,
    )
    print(_row("GET /auth/me (session token, revocation check)", me_session))

    ours, stock = JWTAuthentication(), StockJWT()
    validated = ours.get_validated_token(session_token.encode())
    t_ours = _time(lambda: ours.get_user(validated).has_module("cases"), n_requests)
    t_stock = _time(lambda: stock.get_user(validated).has_module("cases"), n_requests)
    with CaptureQueriesContext(connection) as ours_q:
        ours.get_user(validated).has_module("cases")
    with CaptureQueriesContext(connection) as stock_q:
        stock.get_user(validated).has_module("cases")
    print(_row(f"auth get_user+role, ours ({len(ours_q)} query)", t_ours))
    print(_row(f"auth get_user+role, simplejwt stock ({len(stock_q)} queries)", t_stock))

    parity = statistics.median(unknown) / statistics.median(wrong)
    print(f"\nunknown-email / wrong-password p50 ratio: {parity:.2f} (1.00 = indistinguishable)")
    print(
        f"login p50 / GET /auth/me p50: {statistics.median(ok) / statistics.median(me_session):.1f}x"
    )
    print(
        "session-aware auth vs stock (p50): "
        f"{statistics.median(t_ours) / statistics.median(t_stock):.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
