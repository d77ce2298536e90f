"""The nightly reading of the passports feed."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from musaned.integrations.tasks import GatewayTask

from . import services


@shared_task(base=GatewayTask, bind=True)
def feed_nightly(self, run_date: str | None = None) -> int:
    """Read the feed of `run_date` (an ISO date; today in Riyadh when left out) and return the run's id.

    Scheduled daily at 02:00. While the passports service is down, GatewayTask retries with backoff and
    each attempt resumes the run where the last one stopped; running twice is harmless.
    """
    if run_date is None:
        run_date = timezone.localdate().isoformat()
        # A retry reads the same night's feed, even once the clock has passed midnight.
        self.request.kwargs = {**(self.request.kwargs or {}), "run_date": run_date}
    return services.feed_ingest(run_date=dt.date.fromisoformat(run_date)).pk


@shared_task
def feed_events_announce(run_id: int | None = None) -> int:
    """Announce the feed's waiting events (of one run, or all); return how many were sent.

    Sent after each batch of the feed commits, and every 10 minutes for what a killed process left:
    events no one holds, or whose announcer's claim has run out. Running twice at once is harmless:
    each event is claimed by one announcer at a time.
    """
    return services.feed_events_announce(run_id=run_id)
