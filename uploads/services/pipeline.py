"""The processing pipeline: stream a stored file, validate, match and write it in chunks.

One `Pipeline` run walks the file from the batch's checkpoint. Each chunk of
UPLOAD_CHUNK_SIZE rows is validated in Python, matched against the database with one query
per table, and (when writing) applied with set-based statements in ONE transaction that also
advances the checkpoint, adds the row errors and updates the counters. Lookups of agents and
branches are set-based too, so the number of queries per chunk is constant.

In a validation pass (dry run, or before writes when approval may be needed) the same
matching runs but only the batch's counters and errors are written.
"""

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from intelipro.db import in_values
from uploads.models import UploadBatch, UploadRowError
from uploads.readers import data_records_iter, inspection_from_dict
from uploads.services.bulk import rows_copy, rows_insert_new, rows_upsert
from uploads.validation import AgentInfo, Problem, RowContext, cell_text, row_validate

logger = logging.getLogger(__name__)

# Validated chunks waiting for their transaction (memory: a few chunks of rows at most).
PREFETCH_DEPTH = 1

CUSTOMER_FIELDS = ("first_name", "last_name", "email", "phone", "date_of_birth", "address")
# Optional customer details: a blank cell keeps what we already know.
CUSTOMER_KEEP_IF_BLANK = ("email", "phone", "date_of_birth", "address")
POLICY_FIELDS = (
    "customer_id",
    "policy_type",
    "premium_amount",
    "start_date",
    "end_date",
    "renewal_date",
    "agent_id",
    "branch_id",
)
SUMMARY_KEYS = (
    "customers_new",
    "customers_changed",
    "policies_new",
    "policies_changed",
    "policies_unchanged",
    "cases_new",
    "cases_existing",
)


def _error_log_appended(batch_id: int, entries: list[dict[str, Any]]) -> Any:
    """The batch's error_log with `entries` appended: in SQL on PostgreSQL (jsonb ||, the
    stored log is never read back), read-modify-write elsewhere (the row is locked)."""
    if connection.vendor == "postgresql":
        return RawSQL('"error_log" || %s::jsonb', (json.dumps(entries),))
    current = UploadBatch.objects.values_list("error_log", flat=True).get(pk=batch_id)
    return [*(current or []), *entries]


class _Prefetch:
    """Iterate `source` in a background thread, at most PREFETCH_DEPTH items ahead.

    Exceptions of the source are re-raised in the consuming thread; leaving the `with`
    block early (error, time budget, crash injection) stops and joins the thread.
    """

    _DONE = object()

    def __init__(self, source: Iterator[Any]) -> None:
        self.source = source
        self.queue: queue.Queue = queue.Queue(maxsize=PREFETCH_DEPTH)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._produce, name="upload-prefetch", daemon=True)

    def _put(self, item: Any) -> bool:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for item in self.source:
                if not self._put((True, item)):
                    return
            self._put((True, self._DONE))
        except BaseException as exc:  # handed to the consumer, re-raised there
            self._put((False, exc))
        finally:
            close = getattr(self.source, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> "_Prefetch":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()

    def __iter__(self) -> Iterator[Any]:
        while True:
            ok, item = self.queue.get()
            if not ok:
                raise item
            if item is self._DONE:
                return
            yield item


class UploadCrashSimulated(BaseException):
    """Raised by the fault-injection hook (UPLOAD_TEST_CRASH_AFTER_CHUNKS, mode "raise").

    A BaseException so that, like kill -9, it skips every `except Exception` cleanup and
    leaves the batch exactly as a dead worker would.
    """


class PipelineSuperseded(Exception):  # noqa: N818 - control flow, not a failure
    """Another run moved the checkpoint or the status: this run stops without writing."""


@dataclass
class ChunkOutcome:
    last_row: int
    consumed: int = 0
    successful: int = 0
    failed: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    row_errors: list[UploadRowError] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _summary_merge(total: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    merged = dict(total)
    for key in SUMMARY_KEYS:
        merged[key] = merged.get(key, 0) + delta.get(key, 0)
    merged["premium_change_max_percent"] = max(
        float(merged.get("premium_change_max_percent", 0)),
        float(delta.get("premium_change_max_percent", 0)),
    )
    merged["premium_change_total"] = str(
        Decimal(str(merged.get("premium_change_total", "0")))
        + Decimal(str(delta.get("premium_change_total", "0")))
    )
    if "round_robin" in delta:
        merged["round_robin"] = delta["round_robin"]
    return merged


class Pipeline:
    """One run over a batch's file, from its checkpoint to the end or the time budget."""

    def __init__(
        self,
        *,
        batch: UploadBatch,
        opener: Callable[[], IO[bytes]],
        write: bool,
        on_progress: Callable[[UploadBatch], None] | None = None,
    ) -> None:
        from accounts import modules
        from accounts.models import Branch, User
        from renewals.models import Policy

        self.batch = batch
        self.opener = opener
        self.write = write
        self.on_progress = on_progress
        self.expected_status = (
            UploadBatch.Status.PROCESSING if write else UploadBatch.Status.VALIDATING
        )
        self.inspection = inspection_from_dict(batch.file_meta)
        self.positions = self.inspection.positions
        self.ctx = RowContext(
            policy_types=frozenset(Policy.PolicyType.values),
            batch_policy_type=batch.policy_type,
            phone_region=settings.UPLOAD_PHONE_DEFAULT_REGION,
            today=timezone.localdate(),
            branches={code.upper(): pk for code, pk in Branch.objects.values_list("code", "id")},
        )
        # Round-robin pools: active agents of each branch, in a stable order.
        self.pools: dict[int, list[int]] = {}
        agents = (
            User.objects.filter(
                status=User.Status.ACTIVE, role__name=modules.AGENT, branch__isnull=False
            )
            .order_by("id")
            .values_list("id", "branch_id")
        )
        for agent_id, branch_id in agents:
            self.pools.setdefault(branch_id, []).append(agent_id)
        uploader = batch.uploaded_by
        self.default_branch_id = uploader.branch_id if uploader else None
        self.round_robin: dict[str, int] = dict(batch.summary.get("round_robin", {}))
        self.seen_policies: dict[str, int] = {}
        self.seen_customers: set[str] = set()
        self.chunk_size = max(1, settings.UPLOAD_CHUNK_SIZE)

    # --- lookups ------------------------------------------------------------------------

    def _agents_load(self) -> dict[str, AgentInfo]:
        """Every user an `agent_email` cell may name, loaded once per run (one query).

        Staff users are few; one snapshot per run (a run lasts at most
        UPLOAD_TASK_TIME_BUDGET_SECONDS) lets validation run without the database, ahead of
        the writes, in the prefetch thread.
        """
        from accounts import modules
        from accounts.models import User

        if "agent_email" not in self.positions:
            return {}
        users = User.objects.values_list("email", "id", "status", "role__permissions", "branch_id")
        return {
            email.lower(): AgentInfo(
                id=pk,
                active=status == User.Status.ACTIVE,
                can_work_cases=modules.CASES in (permissions or []),
                branch_id=branch_id,
            )
            for email, pk, status, permissions, branch_id in users
        }

    def _round_robin_pick(self, branch_id: int | None) -> int | None:
        pool = self.pools.get(branch_id) if branch_id else None
        if not pool:
            return None
        key = str(branch_id)
        turn = self.round_robin.get(key, 0)
        self.round_robin[key] = turn + 1
        return pool[turn % len(pool)]

    # --- one chunk ----------------------------------------------------------------------

    def _validate(self, records: list[tuple[int, list[Any]]], outcome: ChunkOutcome) -> list:
        pn_index = self.positions["policy_number"]
        valid = []
        for row_number, cells in records:
            values, problems = row_validate(cells, self.positions, self.ctx)
            policy_number = cell_text(cells[pn_index]) if pn_index < len(cells) else ""
            if policy_number:
                first = self.seen_policies.get(policy_number)
                if first is None:
                    self.seen_policies[policy_number] = row_number
                else:
                    problems.append(
                        Problem(
                            "policy_number",
                            policy_number,
                            f"appears more than once in the file (first at row {first})",
                        )
                    )
                    values = None
            outcome.consumed += 1
            if values is None:
                outcome.failed += 1
                entries = [
                    {"row": row_number, "column": p.column, "value": p.value, "error": p.error}
                    for p in problems
                ]
                outcome.problems.extend(entries)
                outcome.row_errors.append(
                    UploadRowError(
                        batch_id=self.batch.pk,
                        row=row_number,
                        values=[cell_text(cell) for cell in cells],
                        problems=[{k: e[k] for k in ("column", "value", "error")} for e in entries],
                    )
                )
            else:
                outcome.successful += 1
                valid.append((row_number, values))
        return valid

    def _match_and_write(self, valid: list, outcome: ChunkOutcome) -> None:
        from renewals.models import CaseEvent, Customer, Policy, RenewalCase

        summary: dict[str, Any] = dict.fromkeys(SUMMARY_KEYS, 0)
        max_pct = 0.0
        delta_total = Decimal("0")
        now = timezone.now()

        # Customers: the last row of a customer in the chunk wins.
        wanted: dict[str, dict[str, Any]] = {}
        for _row, values in valid:
            wanted[values["customer_code"]] = values
        existing_customers = {
            row[0]: row[1:]
            for row in Customer.objects.filter(customer_code__in=in_values(list(wanted), "text"))
            .order_by()
            .values_list("customer_code", "id", *CUSTOMER_FIELDS)
        }
        customer_ids = {code: row[0] for code, row in existing_customers.items()}
        customer_writes = []
        for code, values in wanted.items():
            desired = {
                "first_name": values["first_name"],
                "last_name": values["last_name"],
                "email": values["email"],
                "phone": values["phone"],
                "date_of_birth": values["date_of_birth"],
                "address": values["address"],
            }
            current = existing_customers.get(code)
            if current is None:
                if code not in self.seen_customers:
                    summary["customers_new"] += 1
                customer_writes.append({"customer_code": code, **desired})
            else:
                known = dict(zip(CUSTOMER_FIELDS, current[1:], strict=True))
                for name in CUSTOMER_KEEP_IF_BLANK:
                    if desired[name] in ("", None):
                        desired[name] = known[name]
                if desired != known:
                    summary["customers_changed"] += 1
                    customer_writes.append({"customer_code": code, **desired})
            self.seen_customers.add(code)
        if self.write and customer_writes:
            customer_ids.update(
                rows_upsert(
                    model=Customer,
                    rows=customer_writes,
                    key="customer_code",
                    update_fields=list(CUSTOMER_FIELDS),
                )
            )

        # Policies: one row per policy number (duplicates were refused in validation).
        existing_policies = {
            row[0]: row[1:]
            for row in Policy.objects.filter(
                policy_number__in=in_values(
                    [values["policy_number"] for _row, values in valid], "text"
                )
            )
            .order_by()
            .values_list("policy_number", "id", *POLICY_FIELDS)
        }
        policy_ids = {number: row[0] for number, row in existing_policies.items()}
        policy_writes = []
        policy_rows: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for _row, values in valid:
            number = values["policy_number"]
            current = existing_policies.get(number)
            known = dict(zip(POLICY_FIELDS, current[1:], strict=True)) if current else None
            branch_id = values["branch_id"] or (
                known["branch_id"] if known else self.default_branch_id
            )
            agent_id = values["agent_id"] or (known["agent_id"] if known else None)
            if agent_id is None:
                agent_id = self._round_robin_pick(branch_id)
            desired = {
                "customer_id": customer_ids.get(values["customer_code"]),
                "policy_type": values["policy_type"],
                "premium_amount": values["premium_amount"],
                "start_date": values["start_date"],
                "end_date": values["end_date"],
                "renewal_date": values["renewal_date"],
                "agent_id": agent_id,
                "branch_id": branch_id,
            }
            if known is None:
                summary["policies_new"] += 1
                policy_writes.append({"policy_number": number, **desired})
            elif desired != known:
                summary["policies_changed"] += 1
                policy_writes.append({"policy_number": number, **desired})
                old = known["premium_amount"]
                new = desired["premium_amount"]
                if old != new:
                    delta_total += abs(new - old)
                    pct = 100.0 if not old else float(abs(new - old) * 100 / old)
                    max_pct = max(max_pct, pct)
            else:
                summary["policies_unchanged"] += 1
            policy_rows.append((values, desired))
        if self.write and policy_writes:
            policy_ids.update(
                rows_upsert(
                    model=Policy,
                    rows=policy_writes,
                    key="policy_number",
                    update_fields=list(POLICY_FIELDS),
                )
            )

        # Cases: one per policy term (policy, renewal_date), open or closed, ever.
        known_terms = set(
            RenewalCase.objects.filter(
                policy_id__in=in_values(
                    [
                        pk
                        for pk in (policy_ids.get(v["policy_number"]) for v, _d in policy_rows)
                        if pk
                    ],
                    "bigint",
                )
            )
            .order_by()
            .values_list("policy_id", "renewal_date")
        )
        new_cases = []
        for values, desired in policy_rows:
            policy_id = policy_ids.get(values["policy_number"])
            if policy_id is not None and (policy_id, values["renewal_date"]) in known_terms:
                summary["cases_existing"] += 1
                continue
            summary["cases_new"] += 1
            new_cases.append(
                {
                    "policy_id": policy_id,
                    "status": RenewalCase.Status.NEW,
                    "priority": values["priority"],
                    "assigned_to_id": desired["agent_id"],
                    "batch_id": self.batch.pk,
                    "renewal_date": values["renewal_date"],
                    "renewal_amount": values["renewal_amount"],
                }
            )
        if self.write and new_cases:
            from renewals.services import case_numbers_allocate

            numbers = case_numbers_allocate(count=len(new_cases), year=now.year)
            for case, number in zip(new_cases, numbers, strict=True):
                case["case_number"] = number
            inserted = rows_insert_new(model=RenewalCase, rows=new_cases, key="case_number")
            details = f"Automatic case creation from batch upload #{self.batch.pk}"
            # A concurrent batch may have opened the same term first: not ours, not new.
            skipped = len(new_cases) - len(inserted)
            summary["cases_new"] -= skipped
            summary["cases_existing"] += skipped
            rows_copy(
                model=CaseEvent,
                rows=[
                    {
                        "case_id": case_id,
                        "kind": CaseEvent.Kind.CREATED,
                        "action": "Case created",
                        "details": details,
                        "new_value": {"status": RenewalCase.Status.NEW, "batch_id": self.batch.pk},
                        "created_at": now,
                    }
                    for case_id in inserted.values()
                ],
            )
        summary["premium_change_max_percent"] = round(max_pct, 2)
        summary["premium_change_total"] = str(delta_total)
        summary["round_robin"] = dict(self.round_robin)
        outcome.summary = summary

    def _prepare(self, records: list[tuple[int, list[Any]]]) -> tuple[ChunkOutcome, list]:
        """Validation of one chunk: pure Python, no database (runs in the prefetch thread)."""
        outcome = ChunkOutcome(last_row=records[-1][0])
        return outcome, self._validate(records, outcome)

    def _commit(self, outcome: ChunkOutcome, valid: list) -> UploadBatch:
        with transaction.atomic():
            # error_log (up to UPLOAD_ERROR_LOG_LIMIT entries) and file_meta are not read
            # back per chunk: entries are appended in SQL (see _error_log_appended).
            locked = (
                UploadBatch.objects.select_for_update()
                .defer("error_log", "file_meta")
                .get(pk=self.batch.pk)
            )
            if locked.status != self.expected_status or locked.next_row != self.batch.next_row:
                raise PipelineSuperseded(f"batch {locked.pk} moved on")
            if valid:
                self._match_and_write(valid, outcome)
            if outcome.row_errors:
                UploadRowError.objects.bulk_create(outcome.row_errors, batch_size=1000)
            # error_log holds the first LIMIT problems of the pass: it has
            # min(error_count, LIMIT) entries (both are reset together).
            limit = settings.UPLOAD_ERROR_LOG_LIMIT
            room = max(limit - min(locked.error_count, limit), 0)
            now = timezone.now()
            changes = {
                "next_row": outcome.last_row,
                "processed_records": locked.processed_records + outcome.consumed,
                "successful_records": locked.successful_records + outcome.successful,
                "failed_records": locked.failed_records + outcome.failed,
                "error_count": locked.error_count + len(outcome.problems),
                "summary": _summary_merge(locked.summary or {}, outcome.summary),
                "chunks_committed": locked.chunks_committed + 1,
                "progress_at": now,
                "updated_at": now,
            }
            appended = outcome.problems[:room]
            extra = {"error_log": _error_log_appended(locked.pk, appended)} if appended else {}
            UploadBatch.objects.filter(pk=locked.pk).update(**changes, **extra)
        for name, value in changes.items():
            setattr(self.batch, name, value)
        if appended:  # the in-memory copy is not kept up to date; readers reload it
            self.batch.__dict__.pop("error_log", None)
        return self.batch

    # --- the run ------------------------------------------------------------------------

    def _records(self) -> Iterator[tuple[int, list[Any]]]:
        """Data rows after the checkpoint; rows before it only re-register their keys."""
        skip = self.batch.next_row
        pn_index = self.positions["policy_number"]
        for row_number, cells in data_records_iter(opener=self.opener, inspection=self.inspection):
            if row_number <= skip:
                number = cell_text(cells[pn_index]) if pn_index < len(cells) else ""
                if number:
                    self.seen_policies.setdefault(number, row_number)
                continue
            yield row_number, cells

    def _prepared_chunks(self) -> Iterator[tuple[ChunkOutcome, list]]:
        chunk: list[tuple[int, list[Any]]] = []
        for row_number, cells in self._records():
            chunk.append((row_number, cells))
            if len(chunk) >= self.chunk_size:
                yield self._prepare(chunk)
                chunk = []
        if chunk:
            yield self._prepare(chunk)

    def run(self) -> bool:
        """Process from the checkpoint; True when the file is done, False when the time
        budget ran out (the caller re-enqueues; the next run continues from the checkpoint).

        Reading and validating (Python CPU) run one chunk ahead in a prefetch thread while
        this thread matches and writes the previous chunk (mostly waiting on the database,
        which releases the GIL). Chunks are still committed strictly in file order, one
        transaction each; the prefetch thread never touches the database.
        """
        started = time.monotonic()
        budget = settings.UPLOAD_TASK_TIME_BUDGET_SECONDS
        crash_after = settings.UPLOAD_TEST_CRASH_AFTER_CHUNKS if self.write else 0
        committed = 0
        self.ctx.agents = self._agents_load()
        with _Prefetch(self._prepared_chunks()) as chunks:
            for outcome, valid in chunks:
                self._commit(outcome, valid)
                self._after_commit()
                committed += 1
                if crash_after and committed >= crash_after:
                    self._crash()
                if time.monotonic() - started > budget:
                    return False
        return True

    def _after_commit(self) -> None:
        """Side effects of a committed chunk; never inside its transaction."""
        from uploads.services.batches import upload_batch_progress_publish

        if self.write:
            from renewals.services import dashboard_cache_bump

            dashboard_cache_bump()
        upload_batch_progress_publish(batch=self.batch)
        if self.on_progress is not None:
            self.on_progress(self.batch)

    def _crash(self) -> None:
        logger.warning("fault injection: crashing after chunk (batch %s)", self.batch.pk)
        if settings.UPLOAD_TEST_CRASH_MODE == "exit":
            import os

            os._exit(137)  # like kill -9: no cleanup, no ack
        raise UploadCrashSimulated(f"simulated crash in batch {self.batch.pk}")
