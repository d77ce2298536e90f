"""Reads about the registry that other parts of the platform rely on."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max

from .models import FeedRun, FeedState


def feed_last_completed_at() -> dt.datetime | None:
    """When the last complete reading of the passports feed finished (None if none ever did): how
    fresh the workers' statuses are, for the health check."""
    return FeedRun.objects.filter(state=FeedState.COMPLETED).aggregate(last=Max("finished_at"))["last"]
