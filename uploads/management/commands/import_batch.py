"""`python manage.py import_batch FILE --policy-type auto [--dry-run] [--user EMAIL]`."""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from intelipro.api.errors import DomainError
from uploads.models import UploadBatch


class Command(BaseCommand):
    help = (
        "Import an insurer's renewal file (CSV or XLSX) through the same checks and pipeline "
        "as POST /upload/batch, in this process, with a progress bar. --dry-run validates and "
        "matches without writing. A batch that needs maker-checker approval stops in "
        "awaiting_approval; approve it in the admin or the API."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--policy-type", required=True)
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--user", help="Email of the uploader (audit, notifications).")

    def handle(self, *args: Any, **options: Any) -> None:
        from tqdm import tqdm

        from accounts.models import User
        from uploads.services import upload_batch_create, upload_batch_process

        path = options["file"]
        user = None
        if options["user"]:
            user = User.objects.filter(email__iexact=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']}.")
        try:
            with open(path, "rb") as handle:
                batch = upload_batch_create(
                    file=handle,
                    file_name=os.path.basename(path),
                    size=os.path.getsize(path),
                    policy_type=options["policy_type"],
                    dry_run=options["dry_run"],
                    uploaded_by=user,
                    enqueue=False,
                )
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {path}") from exc
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details or ''}") from exc
        self.stdout.write(f"Batch #{batch.pk}: {batch.total_records} rows")
        bar = tqdm(total=batch.total_records, unit="row", file=self.stdout, disable=None)
        phase = {"stage": None}

        def on_progress(current: UploadBatch) -> None:
            if current.stage != phase["stage"]:  # validating, then writing: a bar per pass
                phase["stage"] = current.stage
                bar.reset(total=current.total_records)
                bar.set_description(current.stage)
            bar.n = current.processed_records
            bar.refresh()

        while upload_batch_process(batch_id=batch.pk, on_progress=on_progress) == "continue":
            pass
        bar.close()
        batch.refresh_from_db()
        self.stdout.write(
            f"Batch #{batch.pk} {batch.status} ({batch.stage}"
            f"{', has errors' if batch.has_errors else ''}): {batch.successful_records} ok, "
            f"{batch.failed_records} rejected ({batch.error_count} problems)"
        )
        summary = {k: v for k, v in (batch.summary or {}).items() if k != "round_robin"}
        self.stdout.write(f"Summary: {summary}")
        for entry in (batch.error_log or [])[:20]:
            self.stdout.write(
                f"  row {entry['row']}: {entry['column']} {entry['error']} ({entry['value']!r})"
            )
        if batch.status == UploadBatch.Status.AWAITING_APPROVAL:
            self.stdout.write(f"Awaiting approval: {batch.approval_reasons}")
