"""Batch upload benchmark (issue 5): our pipeline against its baselines, side by side.

Arms, run interleaved on the same dataset (bench/uploads_data.py: ~20 columns, 1% dirty
rows, fixed seed) against PostgreSQL, each in its own process (peak RSS is per arm):

  A0  psycopg COPY of the raw rows into a staging table (the floor: bytes into the server)
  A1  A0 + INSERT ... ON CONFLICT upserts of customers, policies and cases in SQL only
      (dirty rows dropped by SQL predicates; no validation, no phone normalization)
  A4  django-import-export 4 tuned (use_bulk, batch_size=2000, skip_diff) importing the
      same file into Customer and Policy (cases are not something it can derive, so A4 does
      less work than A5)
  A5  our pipeline end to end: intake checks, stored file, streaming read, validation,
      matching, chunked COPY/upsert of customers, policies, cases and case events; intake
      in one process (the web request), processing in another (the worker), as deployed

Default: 10,000 rows, CSV and XLSX. `--full`: 10,000 and 100,000 rows. Prints rows/s,
peak RSS and the ratios A5/A1 (target <= 3 at 100k) and A4/A5 (target >= 20).
Database: BENCH_UPLOADS_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
intelipro_bench_uploads (created and migrated on first use). Never asserts timings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/intelipro_bench_uploads"
ARMS = ("A0", "A1", "A4", "A5")
STAGE_COLUMNS = [
    "policy_number", "customer_code", "first_name", "last_name", "email", "phone",
    "policy_type", "premium", "start_date", "end_date", "renewal_date", "renewal_amount",
    "priority", "agent_email", "branch_code", "date_of_birth", "address_line1", "city",
    "state", "postal_code", "country",
]  # fmt: skip


def _env(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "intelipro.settings.test",
            "DATABASE_URL": db_url,
            "LOG_LEVEL": "ERROR",
            "PYTHONPATH": str(ROOT),
            # Measure the import itself: no maker-checker validation pass before writes.
            "UPLOAD_APPROVAL_MAX_CASES": "0",
            "UPLOAD_APPROVAL_PREMIUM_CHANGE_PERCENT": "0",
            "UPLOAD_APPROVAL_SENSITIVE_CHANGES": "false",
            "UPLOAD_MAX_ROWS": "1000000",
            "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "intelipro-bench-media"),
        }
    )
    return env


# --- child side ----------------------------------------------------------------------------


def _setup_django() -> None:
    import django

    django.setup()


def _raw_rows(path: str) -> list[list[str]]:
    if path.endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
        return [["" if c is None else str(c) for c in r] for r in rows[1:]]
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        return list(reader)


def _arm_a0(path: str) -> int:
    from django.db import connection, transaction

    rows = _raw_rows(path)
    columns = ", ".join(f"{c} text" for c in ["rownum", *STAGE_COLUMNS])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE stage ({columns}) ON COMMIT DROP")
        with cursor.cursor.copy("COPY stage FROM STDIN") as copy:
            for number, row in enumerate(rows, start=1):
                copy.write_row([str(number), *row])
        cursor.execute("SELECT count(*) FROM stage")
        return cursor.fetchone()[0]


def _insert_select(model, exprs: dict[str, str]) -> tuple[str, str, list]:
    """Column list and SELECT list for every writable field; defaults as parameters."""
    from django.db import models
    from django.utils import timezone

    columns, selects, params = [], [], []
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue
        columns.append(f'"{field.column}"')
        if field.column in exprs:
            selects.append(exprs[field.column])
            continue
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            value = now
        else:
            value = field.get_default()
        if isinstance(field, models.JSONField) and value is not None:
            value = json.dumps(value)
            selects.append("%s::jsonb")
        else:
            selects.append("%s")
        params.append(value)
    return ", ".join(columns), ", ".join(selects), params


def _arm_a1(path: str) -> int:
    from django.db import connection, transaction

    from renewals.models import Customer, Policy, RenewalCase

    rows = _raw_rows(path)
    columns = ", ".join(f"{c} text" for c in ["rownum", *STAGE_COLUMNS])
    customer = Customer._meta.db_table
    policy = Policy._meta.db_table
    case = RenewalCase._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE stage ({columns}) ON COMMIT DROP")
        with cursor.cursor.copy("COPY stage FROM STDIN") as copy:
            for number, row in enumerate(rows, start=1):
                copy.write_row([str(number), *row])
        cursor.execute(
            "CREATE TEMP TABLE ok ON COMMIT DROP AS SELECT * FROM stage "
            "WHERE premium !~ '^-' AND policy_type = 'auto' AND email LIKE '%%@%%' "
            r"AND start_date ~ '^\d{4}-\d{2}-\d{2}$' AND end_date::date > start_date::date"
        )
        cols, sel, params = _insert_select(
            Customer,
            {
                "customer_code": "customer_code",
                "first_name": "first_name",
                "last_name": "last_name",
                "email": "email",
                "phone": "phone",
                "date_of_birth": "date_of_birth::date",
                "address": "jsonb_build_object('address_line1', address_line1, 'city', city, "
                "'state', state, 'postal_code', postal_code, 'country', country)",
            },
        )
        cursor.execute(
            f"INSERT INTO {customer} ({cols}) SELECT DISTINCT ON (customer_code) {sel} "  # noqa: S608
            "FROM ok ORDER BY customer_code, rownum::int DESC "
            "ON CONFLICT (customer_code) DO UPDATE SET first_name = EXCLUDED.first_name, "
            "last_name = EXCLUDED.last_name, email = EXCLUDED.email, phone = EXCLUDED.phone "
            f"WHERE ({customer}.first_name, {customer}.last_name, {customer}.email, "
            f"{customer}.phone) IS DISTINCT FROM (EXCLUDED.first_name, EXCLUDED.last_name, "
            "EXCLUDED.email, EXCLUDED.phone)",
            params,
        )
        cols, sel, params = _insert_select(
            Policy,
            {
                "policy_number": "ok.policy_number",
                "customer_id": "c.id",
                "policy_type": "ok.policy_type",
                "premium_amount": "ok.premium::numeric",
                "start_date": "ok.start_date::date",
                "end_date": "ok.end_date::date",
                "renewal_date": "to_date(ok.renewal_date, 'DD/MM/YYYY')",
                "branch_id": "b.id",
            },
        )
        cursor.execute(
            f"INSERT INTO {policy} ({cols}) SELECT {sel} FROM ok "  # noqa: S608
            f"JOIN {customer} c ON c.customer_code = ok.customer_code "
            "LEFT JOIN accounts_branch b ON b.code = ok.branch_code ORDER BY ok.policy_number "
            "ON CONFLICT (policy_number) DO UPDATE SET premium_amount = EXCLUDED.premium_amount "
            f"WHERE {policy}.premium_amount IS DISTINCT FROM EXCLUDED.premium_amount",
            params,
        )
        cols, sel, params = _insert_select(
            RenewalCase,
            {
                "case_number": "'A1-' || p.id || '-' || ok.renewal_date",
                "policy_id": "p.id",
                "priority": "ok.priority",
                "renewal_date": "to_date(ok.renewal_date, 'DD/MM/YYYY')",
                "renewal_amount": "p.premium_amount",
            },
        )
        cursor.execute(
            f"INSERT INTO {case} ({cols}) SELECT {sel} FROM ok "  # noqa: S608
            f"JOIN {policy} p ON p.policy_number = ok.policy_number "
            f"WHERE NOT EXISTS (SELECT 1 FROM {case} rc WHERE rc.policy_id = p.id "
            "AND rc.renewal_date = to_date(ok.renewal_date, 'DD/MM/YYYY')) "
            "ON CONFLICT DO NOTHING",
            params,
        )
        cursor.execute("SELECT count(*) FROM ok")
        return cursor.fetchone()[0]


def _arm_a4(path: str) -> int:
    import tablib
    from import_export import fields, resources, widgets

    from renewals.models import Customer, Policy

    class CustomerResource(resources.ModelResource):
        customer_code = fields.Field(attribute="customer_code", column_name="customer_code")
        first_name = fields.Field(attribute="first_name", column_name="customer_first_name")
        last_name = fields.Field(attribute="last_name", column_name="customer_last_name")
        email = fields.Field(attribute="email", column_name="customer_email")
        phone = fields.Field(attribute="phone", column_name="customer_phone")

        class Meta:
            model = Customer
            import_id_fields = ("customer_code",)
            fields = ("customer_code", "first_name", "last_name", "email", "phone")
            use_bulk = True
            batch_size = 2000
            skip_diff = True

    class PolicyResource(resources.ModelResource):
        policy_number = fields.Field(attribute="policy_number", column_name="policy_number")
        customer = fields.Field(
            attribute="customer",
            column_name="customer_code",
            widget=widgets.ForeignKeyWidget(Customer, "customer_code"),
        )
        policy_type = fields.Field(attribute="policy_type", column_name="policy_type")
        premium_amount = fields.Field(
            attribute="premium_amount", column_name="premium_amount", widget=widgets.DecimalWidget()
        )
        start_date = fields.Field(
            attribute="start_date", column_name="start_date", widget=widgets.DateWidget("%Y-%m-%d")
        )
        end_date = fields.Field(
            attribute="end_date", column_name="end_date", widget=widgets.DateWidget("%Y-%m-%d")
        )
        renewal_date = fields.Field(
            attribute="renewal_date",
            column_name="renewal_date",
            widget=widgets.DateWidget("%d/%m/%Y"),
        )

        class Meta:
            model = Policy
            import_id_fields = ("policy_number",)
            fields = (
                "policy_number", "customer", "policy_type", "premium_amount", "start_date",
                "end_date", "renewal_date",
            )  # fmt: skip
            use_bulk = True
            batch_size = 2000
            skip_diff = True

    if path.endswith(".xlsx"):
        with open(path, "rb") as handle:
            data = tablib.Dataset().load(handle.read(), format="xlsx")
    else:
        with open(path, encoding="utf-8") as handle:
            data = tablib.Dataset().load(handle.read(), format="csv")
    # Customers appear once per policy; bulk inserts need them once per code.
    seen: set[str] = set()
    customers = tablib.Dataset(headers=data.headers)
    code_index = data.headers.index("customer_code")
    for line in data:
        if line[code_index] not in seen:
            seen.add(line[code_index])
            customers.append(line)
    CustomerResource().import_data(customers, dry_run=False, raise_errors=False)
    result = PolicyResource().import_data(data, dry_run=False, raise_errors=False)
    return result.totals.get("new", 0) + result.totals.get("update", 0)


def _arm_a5(path: str) -> dict:
    """As deployed: intake in this process (the web request: checks, stored file, counted
    rows), processing in a separate worker process (the Celery task), each with its own
    peak RSS. Seconds: intake + the worker's processing (its start-up is not counted: a worker
    is already running when a batch is queued)."""
    from uploads.services import upload_batch_create

    started = time.perf_counter()
    with open(path, "rb") as handle:
        batch = upload_batch_create(
            file=handle,
            file_name=os.path.basename(path),
            size=os.path.getsize(path),
            policy_type="auto",
            uploaded_by=None,
            enqueue=False,
        )
    intake_seconds = time.perf_counter() - started
    intake_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cmd = [sys.executable, str(Path(__file__)), "--child", "A5-worker", str(batch.pk)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    worker = json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])
    return {
        "rows": worker["rows"],
        "seconds": intake_seconds + worker["seconds"],
        "peak_rss_mb": max(intake_peak, worker["peak_rss_mb"]),
        "intake_rss_mb": intake_peak,
        "worker_rss_mb": worker["peak_rss_mb"],
        "intake_seconds": intake_seconds,
        "worker_seconds": worker["seconds"],
    }


def _a5_worker(batch_id: int) -> None:
    from uploads.models import UploadBatch
    from uploads.services import upload_batch_process

    started = time.perf_counter()
    while upload_batch_process(batch_id=batch_id) == "continue":
        pass
    seconds = time.perf_counter() - started
    rows = UploadBatch.objects.get(pk=batch_id).successful_records
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mb": peak}))


def _reset() -> None:
    from django.db import connection

    from accounts.models import Branch, User
    from testing.accounts import UserFactory

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE renewals_caseevent, renewals_renewalcase, renewals_policy, "
            "renewals_customer, uploads_uploadrowerror, uploads_uploadbatch CASCADE"
        )
    branch, _ = Branch.objects.get_or_create(code="MUM", defaults={"name": "Mumbai"})
    if not User.objects.filter(branch=branch).exists():
        for _ in range(5):
            UserFactory(role="agent", branch=branch)


def child(arm: str, path: str) -> None:
    _setup_django()
    if arm == "reset":
        _reset()
        return
    if arm == "A5-worker":
        _a5_worker(int(path))
        return
    if arm == "A5":
        print(json.dumps({"arm": arm, **_arm_a5(path)}))
        return
    run = {"A0": _arm_a0, "A1": _arm_a1, "A4": _arm_a4}[arm]
    started = time.perf_counter()
    rows = run(path)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"arm": arm, "rows": rows, "seconds": seconds, "peak_rss_mb": peak}))


# --- parent side ---------------------------------------------------------------------------


def _run_child(env: dict[str, str], arm: str, path: str = "") -> dict | None:
    cmd = [sys.executable, str(Path(__file__)), "--child", arm, path]
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  {arm} failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def _database_ready(db_url: str, env: dict[str, str]) -> bool:
    import psycopg

    name = db_url.rsplit("/", 1)[-1]
    admin_url = db_url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"  PostgreSQL not reachable ({exc}); benchmark skipped")
        return False
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="uploads_batch")
    parser.add_argument("--full", action="store_true", help="also 100,000 rows")
    parser.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")])
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--rounds", type=int, default=1)
    args, _unknown = parser.parse_known_args(argv)
    sizes = args.sizes or ([10_000, 100_000] if args.full else [10_000])
    db_url = os.environ.get("BENCH_UPLOADS_DATABASE_URL", DEFAULT_DB)
    env = _env(db_url)
    print("\n## uploads_batch: batch upload pipeline vs COPY/upsert and django-import-export")
    if not _database_ready(db_url, env):
        return 0
    from bench.uploads_data import dataset, write_csv, write_xlsx

    workdir = Path(tempfile.mkdtemp(prefix="intelipro-bench-uploads-"))
    arms = args.arms.split(",")
    print(f"{'rows':>7} {'fmt':>4} {'arm':>3} {'seconds':>8} {'rows/s':>9} {'peak MB':>8} landed")
    for size in sizes:
        rows, _bad = dataset(size)
        files = {}
        for fmt in args.formats.split(","):
            files[fmt] = workdir / f"renewals_{size}.{fmt}"
            (write_csv if fmt == "csv" else write_xlsx)(rows, files[fmt])
        del rows
        results: dict[tuple[str, str], list[dict]] = {}
        for _round in range(args.rounds):
            for fmt, path in files.items():
                for arm in arms:  # interleaved: every arm once per round and format
                    _run_child(env, "reset")
                    figures = _run_child(env, arm, str(path))
                    if not figures:
                        continue
                    results.setdefault((fmt, arm), []).append(figures)
                    print(
                        f"{size:>7} {fmt:>4} {arm:>3} {figures['seconds']:>8.2f} "
                        f"{size / figures['seconds']:>9.0f} {figures['peak_rss_mb']:>8.0f} "
                        f"{figures['rows']}"
                        + (
                            f"  (intake {figures['intake_seconds']:.2f} s, "
                            f"{figures['intake_rss_mb']:.0f} MB; worker "
                            f"{figures['worker_seconds']:.2f} s, {figures['worker_rss_mb']:.0f} MB)"
                            if "worker_rss_mb" in figures
                            else ""
                        ),
                        flush=True,
                    )
        for fmt in files:
            best = {
                arm: min(r["seconds"] for r in results[(fmt, arm)])
                for arm in arms
                if (fmt, arm) in results
            }
            ratios = []
            if "A5" in best and "A1" in best:
                ratios.append(f"A5/A1 = {best['A5'] / best['A1']:.2f}x (target <= 3)")
            if "A4" in best and "A5" in best:
                ratios.append(f"A4/A5 = {best['A4'] / best['A5']:.1f}x (target >= 20)")
            if "A5" in best:
                ratios.append(f"A5 {size} rows end to end {best['A5']:.2f}s")
            print(f"  {size} {fmt}: " + "; ".join(ratios))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    else:
        sys.exit(main(sys.argv[1:]))
