"""The processing pipeline: stream a stored file, validate, match and write it in chunks.

One `Pipeline` run walks the file from the batch's checkpoint. Each chunk of
UPLOAD_CHUNK_SIZE rows is validated in Python, then handed to renewals
(`renewals.services.import_rows`, plain data) which matches it against the database with one
query per table and (when writing) applies it with set-based statements, in ONE transaction
that also advances the checkpoint, adds the row errors (validation problems and the rows
renewals refused, e.g. `out_of_scope`) and updates the counters. Lookups of agents and
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

from renewals.services import ImportRow, import_batch_open, import_rows
from renewals.services.imports import SUMMARY_COUNTERS
from uploads.models import UploadBatch, UploadRowError
from uploads.readers import data_records_iter, inspection_from_dict
from uploads.validation import AgentInfo, Problem, RowContext, cell_text, row_validate

logger = logging.getLogger(__name__)

# Validated chunks waiting for their transaction (memory: a few chunks of rows at most).
PREFETCH_DEPTH = 1


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
    cells: dict[int, list[Any]] = field(default_factory=dict)  # of the valid rows, by row

    def row_refuse(
        self, *, batch_id: int, row: int, cells: list[Any], entries: list[dict[str, Any]]
    ) -> None:
        """Count a row as failed, with its problems (error_log entries and a row error)."""
        self.failed += 1
        self.problems.extend(entries)
        self.row_errors.append(
            UploadRowError(
                batch_id=batch_id,
                row=row,
                values=[cell_text(cell) for cell in cells],
                problems=[{k: v for k, v in e.items() if k != "row"} for e in entries],
            )
        )


def _summary_merge(total: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    merged = dict(total)
    for key in SUMMARY_COUNTERS:
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
        from accounts.models import Branch
        from renewals.models import Policy

        self.batch = batch
        self.opener = opener
        self.write = write
        self.on_progress = on_progress
        self.expected_stage = UploadBatch.Stage.WRITING if write else UploadBatch.Stage.VALIDATING
        self.inspection = inspection_from_dict(batch.file_meta)
        self.positions = self.inspection.positions
        self.ctx = RowContext(
            policy_types=frozenset(Policy.PolicyType.values),
            batch_policy_type=batch.policy_type,
            phone_region=settings.UPLOAD_PHONE_DEFAULT_REGION,
            today=timezone.localdate(),
            branches={code.upper(): pk for code, pk in Branch.objects.values_list("code", "id")},
        )
        self.importing = import_batch_open(
            batch_id=batch.pk,
            uploader_id=batch.uploaded_by_id,
            round_robin=batch.summary.get("round_robin", {}),
        )
        self.seen_policies: dict[str, int] = {}
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
                entries = [
                    {"row": row_number, "column": p.column, "value": p.value, "error": p.error}
                    for p in problems
                ]
                outcome.row_refuse(
                    batch_id=self.batch.pk, row=row_number, cells=cells, entries=entries
                )
            else:
                outcome.successful += 1
                outcome.cells[row_number] = cells
                valid.append((row_number, values))
        return valid

    def _import(self, valid: list, outcome: ChunkOutcome) -> None:
        """Renewals decides what the chunk's valid rows mean (and writes them when writing)."""
        result = import_rows(
            rows=[ImportRow(number=number, values=values) for number, values in valid],
            batch=self.importing,
            write=self.write,
        )
        outcome.summary = result.summary
        for refusal in result.refused:  # e.g. out_of_scope: a row error like any other
            outcome.successful -= 1
            entry = {
                "row": refusal.number,
                "column": refusal.column,
                "value": refusal.value,
                "error": refusal.message,
                "code": refusal.code,
            }
            outcome.row_refuse(
                batch_id=self.batch.pk,
                row=refusal.number,
                cells=outcome.cells[refusal.number],
                entries=[entry],
            )

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
            if (
                locked.status != UploadBatch.Status.PROCESSING
                or locked.stage != self.expected_stage
                or locked.next_row != self.batch.next_row
            ):
                raise PipelineSuperseded(f"batch {locked.pk} moved on")
            if valid:
                self._import(valid, outcome)
            if outcome.row_errors:
                outcome.row_errors.sort(key=lambda error: error.row)
                outcome.problems.sort(key=lambda entry: entry["row"])
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
        self.ctx.agents = self._agents_load()
        with _Prefetch(self._prepared_chunks()) as chunks:
            for outcome, valid in chunks:
                self._commit(outcome, valid)
                self._after_commit()
                if time.monotonic() - started > budget:
                    return False
        return True

    def _after_commit(self) -> None:
        """Side effects of a committed chunk; never inside its transaction."""
        from uploads.services.batches import upload_batch_progress_publish

        upload_batch_progress_publish(batch=self.batch)
        if self.on_progress is not None:
            self.on_progress(self.batch)
