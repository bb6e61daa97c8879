"""Renewals at scale: GET /cases (an agent's filtered page, a manager's search) and
GET /dashboard/stats over a real uvicorn server at fixed concurrency, beside a bare Django
`.values()` view of the same agent page as the floor.

Seeds N cases (default 100k, --full 1M) straight in PostgreSQL with set-based
INSERT ... SELECT over generate_series (server side, no Python loop per row), each case with
its own policy, half as many customers, 4 branches, 20 agents. Needs PostgreSQL:
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/intelipro_renewals_bench) and
Redis for the cache (BENCH_REDIS_URL, default redis://127.0.0.1:6379/14).
Targets (issue 4): /cases p95 <= 50 ms, /dashboard/stats p95 <= 100 ms at 1M cases.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from urllib.parse import quote, urlparse

from bench.common import bench_env, print_table, run_load, uvicorn_servers

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/intelipro_renewals_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
AGENTS = 20


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(n: int) -> None:
    """Make exactly n cases (re-seeds when the count differs)."""
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Branch, Role, User
    from core.key_rotation import encrypt_existing_values
    from renewals.models import Customer

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM renewals_renewalcase")
        if cur.fetchone()[0] == n and not os.environ.get("BENCH_RESEED"):
            print(f"seed: {n} cases already present")
            return
    started = time.monotonic()
    roles = {r.name: r for r in Role.objects.all()}
    branches = []
    for i, (code, name) in enumerate(
        [("B1", "North"), ("B2", "South"), ("B3", "East"), ("B4", "West")]
    ):
        branch, _ = Branch.objects.get_or_create(code=f"BENCH{code}", defaults={"name": name})
        branches.append(branch)
        for j in range(AGENTS // 4):
            User.objects.get_or_create(
                email=f"bench.agent{i * 5 + j}@intelipro.local",
                defaults={"first_name": "Agent", "last_name": str(i * 5 + j),
                          "role": roles["agent"], "branch": branch},
            )  # fmt: skip
    User.objects.get_or_create(
        email="bench.manager@intelipro.local",
        defaults={"first_name": "Bench", "last_name": "Manager", "role": roles["manager"]},
    )
    agent_ids = list(
        User.objects.filter(email__startswith="bench.agent")
        .order_by("id")
        .values_list("id", flat=True)
    )
    branch_ids = [b.pk for b in branches]
    customers = max(n // 2, 1)
    sql = [
        "TRUNCATE renewals_casereminder, renewals_caseevent, renewals_payment, "
        "renewals_renewalcase, renewals_policy, renewals_customer RESTART IDENTITY CASCADE",
        f"""INSERT INTO renewals_customer (customer_code, first_name, last_name, email, phone,
              email_hash, phone_hash, kyc_status, communication_preferences, created_at,
              updated_at)
            SELECT 'CUS-' || lpad(g::text, 8, '0'),
                   (ARRAY['Aarav','Priya','Rohan','Meera','Vikram','Sneha','John','Maria','Imran','Grace'])[1 + g % 10],
                   (ARRAY['Sharma','Iyer','Nair','Reddy','Gupta','Mehta','Patel','Khan','Das','Singh',
                          'Kapoor','Joshi','Menon','Rao','Bose','Fernandes'])[1 + (g / 10) % 16] || (g % 997)::text,
                   'cust' || g || '@example.com',
                   -- mobile numbers with scattered digits, as real ones (g -> g*7919 mod 1e9
                   -- is one-to-one); '+91-9000012345'-style runs of zeros put one trigram
                   -- in every row and make any digit search scan the whole trigram index
                   '+91-9' || lpad(((g::bigint * 7919) % 1000000000)::text, 9, '0'),
                   '', '', 'verified', '{{}}'::jsonb, now(), now()
            FROM generate_series(1, {customers}) g""",  # noqa: S608 - numbers we computed
        f"""INSERT INTO renewals_policy (policy_number, customer_id, policy_type, premium_amount,
              start_date, end_date, status, renewal_date, grace_period_days, agent_id, branch_id,
              created_at, updated_at)
            SELECT 'POL-' || lpad(g::text, 9, '0'), 1 + (g::bigint * 7919) % {customers},
                   (ARRAY['auto','health','life','home'])[1 + g % 4], 5000 + (g % 90) * 500,
                   current_date - 420 + (g % 120), current_date - 55 + (g % 120),
                   'active', current_date - 55 + (g % 120), 30,
                   (ARRAY[{",".join(map(str, agent_ids))}])[1 + g % {len(agent_ids)}],
                   (ARRAY[{",".join(map(str, branch_ids))}])[1 + (g % {len(agent_ids)}) / 5],
                   now(), now()
            FROM generate_series(1, {n}) g""",  # noqa: S608 - numbers we computed
        """INSERT INTO renewals_renewalcase (case_number, policy_id, status, priority, assigned_to_id,
              renewal_date, renewal_amount, amount_paid, payment_status, payment_method,
              communication_attempts, notes, escalation_reason, lost_reason, lost_reason_detail,
              created_at, updated_at, closed_at)
            SELECT 'REN-2026-' || lpad(p.id::text, 7, '0'), p.id,
                   s.status,
                   (ARRAY['low','medium','medium','high','urgent'])[1 + p.id % 5],
                   p.agent_id, p.renewal_date, p.premium_amount,
                   CASE WHEN s.status = 'renewed' THEN p.premium_amount ELSE 0 END,
                   CASE WHEN s.status = 'renewed' THEN 'completed' ELSE 'pending' END,
                   '', p.id % 4, '', '',
                   CASE WHEN s.status = 'lost' THEN 'price' ELSE '' END, '',
                   now() - ((p.id % 90) || ' days')::interval - ((p.id % 1440) || ' minutes')::interval,
                   now(),
                   CASE WHEN s.status IN ('renewed','lost','lapsed')
                        THEN now() - ((p.id % 60) || ' days')::interval END
            FROM renewals_policy p
            CROSS JOIN LATERAL (SELECT (ARRAY['new','in_progress','in_progress','pending_payment',
                   'renewed','renewed','renewed','failed','lost','lapsed'])[1 + (p.id / 20) % 10] AS status) s""",
        f"SELECT setval('renewals_case_number_seq', {n + 1})",
    ]
    # VACUUM as autovacuum would soon after a bulk load: it also merges the trigram GIN
    # indexes' pending lists, which every search otherwise scans in full.
    vacuum = [
        "VACUUM ANALYZE renewals_customer",
        "VACUUM ANALYZE renewals_policy",
        "VACUUM ANALYZE renewals_renewalcase",
    ]
    with connection.cursor() as cur:
        for statement in sql:
            cur.execute(statement)
    # Email and phone are encrypted at rest (issue 13): PostgreSQL cannot make Fernet tokens,
    # so the plaintext inserted above is encrypted (and the lookup hashes filled) in batches,
    # as migration 0005 does for an existing book.
    encrypting = time.monotonic()
    encrypt_existing_values(model=Customer, field_names=["email", "phone"], batch_size=5000)
    print(f"seed: encrypted {customers} customers in {time.monotonic() - encrypting:.1f}s")
    with connection.cursor() as cur:
        for statement in vacuum:
            cur.execute(statement)
    print(
        f"seed: {n} cases, {n} policies, {customers} customers in {time.monotonic() - started:.1f}s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="1,000,000 cases, longer runs")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--arms", default="", help="only arms whose label contains this")
    args = parser.parse_args(argv)
    if args.full:
        args.cases, args.seconds = 1_000_000, 10.0

    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    if not db_url.startswith("postgres"):
        print("renewals_api: needs PostgreSQL (BENCH_DATABASE_URL); skipped")
        return 0
    ensure_database(db_url)
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intelipro.settings.local")
    import django

    django.setup()
    from django.core.cache import cache

    from accounts.models import User
    from accounts.tokens import access_token_for

    print(f"\n## renewals_api: {args.cases:,} cases, c={args.concurrency}, {args.seconds}s per arm")
    seed(args.cases)
    cache.clear()
    agent = User.objects.filter(email__startswith="bench.agent").order_by("id").first()
    manager = User.objects.get(email="bench.manager@intelipro.local")
    agent_auth = {"Authorization": f"Bearer {access_token_for(agent)}"}
    manager_auth = {"Authorization": f"Bearer {access_token_for(manager)}"}
    env = bench_env(DATABASE_URL=db_url, REDIS_URL=redis_url)
    name_term = quote("Meera Khan42")
    # Customer 12345's whole number, written as a person would type it: phone search is an
    # exact match on the E.164 number since phones are encrypted (issue 13).
    phone_term = quote(f"+91 9{(12345 * 7919) % 1_000_000_000:09d}")
    arms = [
        ("floor: bare .values() agent page", f"/api/v1/bench/cases-values?agent={agent.pk}", {}),
        ("GET /cases agent, status filter", "/api/v1/cases?status=in_progress&limit=10", agent_auth),
        ("GET /cases agent, page 20", "/api/v1/cases?page=20&limit=10", agent_auth),
        ("GET /cases manager, all, page 1", "/api/v1/cases?limit=10", manager_auth),
        ("GET /cases manager, search phone", f"/api/v1/cases?search={phone_term}", manager_auth),
        ("GET /cases manager, search name", f"/api/v1/cases?search={name_term}", manager_auth),
        ("GET /cases manager, sort priority", "/api/v1/cases?sort_by=priority&limit=10", manager_auth),
        ("GET /dashboard/stats manager", "/api/v1/dashboard/stats", manager_auth),
        ("GET /dashboard/stats agent, month", "/api/v1/dashboard/stats?date_range=month", agent_auth),
    ]  # fmt: skip
    if args.arms:
        arms = [arms[0]] + [a for a in arms[1:] if args.arms in a[0]]
    results = []
    with uvicorn_servers(env=env, processes=args.workers) as ports:
        port = ports[0]
        for label, path, headers in arms:
            results.append(
                run_load(
                    label, ports, path, headers=headers,
                    concurrency=args.concurrency, seconds=args.seconds,
                )
            )  # fmt: skip
        # Cold figures: the first request after a write (version bump) recomputes counts/stats.
        import urllib.request

        cold = []
        for label, path, headers in arms[1:]:
            cache.clear()
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
            started = time.perf_counter()
            with urllib.request.urlopen(req) as resp:  # noqa: S310 - loopback
                resp.read()
            cold.append((label, (time.perf_counter() - started) * 1000))
    print_table(results, baseline=results[0])
    print("\ncold (cache empty: count/aggregate computed) single-request latency:")
    for label, ms in cold:
        print(f"  {label:<40}{ms:>9.1f} ms")
    targets = {"cases": 50.0, "stats": 100.0}
    for r in results[1:]:
        target = targets["stats"] if "stats" in r.label else targets["cases"]
        verdict = "meets" if r.p95 <= target else "MISSES"
        print(f"target p95 <= {target:.0f} ms: {r.label}: {r.p95:.1f} ms ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
