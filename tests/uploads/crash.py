"""Crash injection for the crash-safety tests (test-only: the product ships no such hook).

A writing pass publishes a progress event after each chunk has committed
(`uploads.services.batches.upload_batch_progress_publish`, looked up at call time). Wrapping
that function lets a test die exactly between two committed chunks:

- in-process (`crash_injector` fixture): raise `UploadCrashSimulated`, a BaseException, so
  that like kill -9 it skips every `except Exception` cleanup and leaves the batch exactly
  as a dead worker would;
- in a real worker process (`python -m tests.uploads.crash <N> <celery worker args>`):
  `os._exit(137)` after N chunks, like kill -9 (no cleanup, no ack).
"""

import os
import sys
from collections.abc import Callable
from typing import Any


class UploadCrashSimulated(BaseException):
    """The worker 'died' after a committed chunk."""


def _is_writing(batch: Any) -> bool:
    # Only the writing pass crashes (the validation pass before it writes nothing).
    stage = getattr(batch, "stage", None)
    return stage == "writing" if stage is not None else batch.status == "processing"


class CrashInjector:
    """Counts committed writing chunks and crashes after `after` of them (0 = off)."""

    def __init__(self, die: Callable[[Any], None]) -> None:
        self.after = 0
        self.committed = 0
        self.die = die

    def arm(self, after_chunks: int) -> None:
        self.after = after_chunks
        self.committed = 0

    def disarm(self) -> None:
        self.after = 0

    def wrap(self, publish: Callable[..., None]) -> Callable[..., None]:
        def publish_then_maybe_crash(*, batch: Any) -> None:
            publish(batch=batch)
            if self.after and _is_writing(batch):
                self.committed += 1
                if self.committed >= self.after:
                    self.die(batch)

        return publish_then_maybe_crash


def _raise(batch: Any) -> None:
    raise UploadCrashSimulated(f"simulated crash in batch {batch.pk}")


def install(monkeypatch: Any) -> CrashInjector:
    """Wrap the progress publisher for one test (undone by monkeypatch)."""
    from uploads.services import batches

    injector = CrashInjector(_raise)
    monkeypatch.setattr(
        batches,
        "upload_batch_progress_publish",
        injector.wrap(batches.upload_batch_progress_publish),
    )
    return injector


def worker_main(argv: list[str]) -> None:
    """A Celery worker (solo pool, so tasks run in this process) that exits with 137 after
    argv[0] committed writing chunks; the rest of argv goes to `celery worker`."""
    import django

    django.setup()
    from uploads.services import batches

    injector = CrashInjector(lambda batch: os._exit(137))
    injector.arm(int(argv[0]))
    batches.upload_batch_progress_publish = injector.wrap(batches.upload_batch_progress_publish)

    from intelipro.celery import app

    app.worker_main(["worker", *argv[1:]])


if __name__ == "__main__":
    worker_main(sys.argv[1:])
