"""`ai_classifier_train`: train the offline email classifier on the shipped corpus."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from ai_assistant.classify import CORPUS_PATH, classifier_train


class Command(BaseCommand):
    help = (
        "Train the category/intent classifier (TF-IDF + logistic regression) on "
        "ai_assistant/data/classify_corpus.tsv, print its accuracy on a held-out 20% and "
        "write the versioned artifact (classifier-v<N>.joblib + .json) to --out "
        "(default: AI_CLASSIFIER_PATH)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", default=settings.AI_CLASSIFIER_PATH)
        parser.add_argument("--corpus", default=str(CORPUS_PATH))

    def handle(self, *args: Any, **opts: Any) -> None:
        report = classifier_train(out_dir=Path(opts["out"]), corpus=Path(opts["corpus"]))
        self.stdout.write(
            f"Classifier v{report.version}: held-out accuracy {report.accuracy:.3f} "
            f"({report.test_size} held-out of {report.train_size + report.test_size} examples)."
        )
        self.stdout.write(f"Artifact: {report.path}")
