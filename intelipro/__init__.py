"""Intelipro project wiring. Exposes the Celery app so `celery -A intelipro` finds it."""

from intelipro.celery import app as celery_app

__all__ = ["celery_app"]
__version__ = "0.1.0"
