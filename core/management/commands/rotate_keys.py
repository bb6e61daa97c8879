"""Re-encrypt every encrypted column under the newest FIELD_ENCRYPTION_KEYS key."""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.fields import EncryptionKeyError
from core.key_rotation import ROTATION_BATCH_SIZE, encrypted_models, rotate_model_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column of every model (found by field type) under the "
        "first key of FIELD_ENCRYPTION_KEYS, in batches of rows locked in primary-key order. "
        "Dry run by default: counts the values still under an older key. Acts only with "
        "--commit. Safe to stop and rerun: values already under the newest key are skipped. "
        "Remove an old key only after a --commit run reports 0 stale values."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--commit", action="store_true", help="Write the re-encrypted values (else dry run)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=ROTATION_BATCH_SIZE,
            help=f"Rows per transaction (default {ROTATION_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--model",
            action="append",
            default=[],
            metavar="APP_LABEL.MODEL",
            help="Only these models (repeatable); default: every model with encrypted columns.",
        )
        parser.add_argument(
            "--after-pk",
            default=None,
            help="Start after this primary key (with one --model; to resume a huge table).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        commit: bool = options["commit"]
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        targets = encrypted_models()
        if options["model"]:
            wanted = set()
            for label in options["model"]:
                try:
                    wanted.add(apps.get_model(label)._meta.label)
                except (LookupError, ValueError) as exc:
                    raise CommandError(f"Unknown model {label!r}.") from exc
            targets = [(m, f) for m, f in targets if m._meta.label in wanted]
        if options["after_pk"] is not None and len(targets) != 1:
            raise CommandError("--after-pk needs exactly one --model.")
        mode = "COMMIT" if commit else "DRY RUN (nothing is written; add --commit)"
        self.stdout.write(f"rotate_keys: {mode}; {len(targets)} model(s) with encrypted columns")
        totals = [0, 0]
        for model, fields in targets:
            total = model._base_manager.count()
            label = f"{model._meta.label} ({', '.join(f.name for f in fields)})"
            with tqdm(
                total=total,
                desc=model._meta.label,
                unit="row",
                file=self.stdout,
                disable=options["no_progress"],
                leave=True,
            ) as bar:
                try:
                    result = rotate_model_keys(
                        model=model,
                        fields=fields,
                        commit=commit,
                        batch_size=batch_size,
                        after_pk=options["after_pk"],
                        progress=bar.update,
                    )
                except EncryptionKeyError as exc:
                    raise CommandError(f"{label}: {exc}") from exc
            verb = "re-encrypted" if commit else "to re-encrypt"
            self.stdout.write(
                f"{label}: {result.rows_scanned} rows scanned, {result.values_rotated} values "
                f"in {result.rows_rotated} rows {verb}; last pk {result.last_pk}"
            )
            totals[0] += result.rows_rotated
            totals[1] += result.values_rotated
        summary = f"Total: {totals[1]} values in {totals[0]} rows"
        summary += " re-encrypted." if commit else " still under an older key."
        self.stdout.write(self.style.SUCCESS(summary) if commit else summary)
