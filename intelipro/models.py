"""Abstract model bases shared by every app."""

from django.db import models


class TimeStampedModel(models.Model):
    """Any row that records when it was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
