"""The offline classifier: category and intent with a scikit-learn model (TF-IDF of words
and character n-grams + logistic regression) trained on the shipped corpus
(data/classify_corpus.tsv), sentiment with VADER, and a priority rule.

The trained model is a versioned artifact (artifacts/classifier-v<N>.joblib with a JSON
sidecar: accuracy, sizes, library versions); `manage.py ai_classifier_train` builds it.
"""

import csv
import datetime as dt
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import sklearn
from django.conf import settings
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

MODEL_VERSION = 1  # bump when the features or the corpus format change
CORPUS_PATH = Path(__file__).resolve().parent / "data" / "classify_corpus.tsv"
HELD_OUT_FRACTION = 0.2
SEED = 42

CATEGORIES = (
    "complaint",
    "feedback",
    "refund",
    "appointment",
    "renewal_inquiry",
    "payment",
    "claim",
    "cancellation",
    "other",
)
# What the sender wants, per category (the model's probability is the intent's confidence).
INTENT_BY_CATEGORY = {
    "complaint": "raise_complaint",
    "feedback": "give_feedback",
    "refund": "request_refund",
    "appointment": "book_appointment",
    "renewal_inquiry": "renew_policy",
    "payment": "make_payment",
    "claim": "file_claim",
    "cancellation": "cancel_policy",
    "other": "general_request",
}
PRIORITIES = ("low", "medium", "high", "urgent")
_URGENT_RE = re.compile(
    r"\b(urgent|urgently|immediately|asap|today|ombudsman|legal|lawyer|court|social media|"
    r"hospital|final warning)\b",
    re.IGNORECASE,
)
BASE_PRIORITY = {
    "complaint": "high",
    "cancellation": "high",
    "claim": "high",
    "refund": "medium",
    "payment": "medium",
    "renewal_inquiry": "medium",
    "appointment": "medium",
    "feedback": "low",
    "other": "low",
}


def corpus_load(path: Path = CORPUS_PATH) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            texts.append(row["text"].strip())
            labels.append(row["category"].strip())
    return texts, labels


def _pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
            ),
        ]
    )
    return Pipeline([("features", features), ("model", LogisticRegression(C=20.0, max_iter=2000))])


@dataclass(frozen=True)
class TrainingReport:
    version: int
    accuracy: float
    train_size: int
    test_size: int
    path: Path


def classifier_train(*, out_dir: Path, corpus: Path = CORPUS_PATH) -> TrainingReport:
    """Train on 80% of the corpus (stratified, fixed seed), measure accuracy on the held-out
    20%, then refit on everything and write the artifact and its metadata."""
    texts, labels = corpus_load(corpus)
    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=HELD_OUT_FRACTION, random_state=SEED, stratify=labels
    )
    held_out = _pipeline().fit(x_train, y_train)
    accuracy = float(accuracy_score(y_test, held_out.predict(x_test)))
    final = _pipeline().fit(texts, labels)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"classifier-v{MODEL_VERSION}.joblib"
    joblib.dump(final, path, compress=3)
    meta = {
        "version": MODEL_VERSION,
        "held_out_accuracy": round(accuracy, 4),
        "train_size": len(x_train),
        "test_size": len(x_test),
        "corpus_size": len(texts),
        "categories": list(CATEGORIES),
        "scikit_learn": sklearn.__version__,
        "trained_at": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return TrainingReport(MODEL_VERSION, accuracy, len(x_train), len(x_test), path)


_model_lock = threading.Lock()
_models: dict[str, Pipeline] = {}
_vader: SentimentIntensityAnalyzer | None = None


def _model() -> Pipeline:
    path = Path(settings.AI_CLASSIFIER_PATH) / f"classifier-v{MODEL_VERSION}.joblib"
    key = str(path)
    with _model_lock:
        if key not in _models:
            if not path.exists():
                # A checkout without the artifact (or a new MODEL_VERSION): train it once.
                classifier_train(out_dir=path.parent)
            # Our own artifact, written by classifier_train (joblib is pickle: never load
            # a model file from elsewhere).
            _models[key] = joblib.load(path)
        return _models[key]


def sentiment(text: str) -> dict[str, Any]:
    """VADER compound score (-1..1) and a label (its authors' ±0.05 thresholds)."""
    global _vader
    if _vader is None:
        _vader = SentimentIntensityAnalyzer()
    score = round(float(_vader.polarity_scores(text)["compound"]), 3)
    label = "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"
    return {"score": score, "label": label}


def priority_for(*, category: str, sentiment_score: float, text: str) -> str:
    """A suggestion: the category's base, one step up for strong negative sentiment or
    urgency words (ombudsman, legal, hospital, today...), capped at urgent."""
    rank = PRIORITIES.index(BASE_PRIORITY.get(category, "medium"))
    if sentiment_score <= -0.5:
        rank += 1
    if _URGENT_RE.search(text):
        rank += 1
    return PRIORITIES[min(rank, len(PRIORITIES) - 1)]


def classify_local(*, text: str) -> dict[str, Any]:
    model = _model()
    probabilities = model.predict_proba([text])[0]
    classes = list(model.classes_)
    best = int(probabilities.argmax())
    category = classes[best]
    confidence = round(float(probabilities[best]), 3)
    mood = sentiment(text)
    return {
        "category": category,
        "category_confidence": confidence,
        "sentiment": mood,
        "intent": {"name": INTENT_BY_CATEGORY[category], "confidence": confidence},
        "priority": priority_for(category=category, sentiment_score=mood["score"], text=text),
        "model": f"local-classifier-v{MODEL_VERSION}",
    }


# The JSON an LLM must answer (chat-completions `response_format` json_schema, strict).
CLASSIFY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["category", "sentiment_score", "intent", "intent_confidence", "priority"],
    "properties": {
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "sentiment_score": {"type": "number", "minimum": -1, "maximum": 1},
        "intent": {"type": "string", "enum": sorted(set(INTENT_BY_CATEGORY.values()))},
        "intent_confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "priority": {"type": "string", "enum": list(PRIORITIES)},
    },
}


def parse_llm_classification(raw: str) -> dict[str, Any] | None:
    """The LLM's JSON as our result shape, or None when it is not valid against the schema."""
    try:
        data = json.loads(raw)
        category = data["category"]
        score = float(data["sentiment_score"])
        intent = data["intent"]
        intent_confidence = float(data["intent_confidence"])
        priority = data["priority"]
    except (ValueError, KeyError, TypeError):
        return None
    if (
        category not in CATEGORIES
        or intent not in INTENT_BY_CATEGORY.values()
        or priority not in PRIORITIES
        or not -1 <= score <= 1
        or not 0 <= intent_confidence <= 1
    ):
        return None
    label = "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"
    return {
        "category": category,
        "category_confidence": round(intent_confidence, 3),
        "sentiment": {"score": round(score, 3), "label": label},
        "intent": {"name": intent, "confidence": round(intent_confidence, 3)},
        "priority": priority,
    }
