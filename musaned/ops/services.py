"""Writes of the operations area: the worker probe's two steps.

The probe is a heartbeat, not a business act: its rows are the record, with no audit event.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Probe

# Completed probes are kept this long: enough to see when workers last ran.
PROBES_KEPT = dt.timedelta(days=1)


@transaction.atomic
def probe_start(*, token: str, pid: int) -> Probe:
    """Note that a worker process started the probe `token` (once more, if it ran before)."""
    probe, _created = Probe.objects.select_for_update().get_or_create(
        token=token, defaults={"started_at": timezone.now()}
    )
    Probe.objects.filter(pk=probe.pk).update(attempts=F("attempts") + 1, worker_pid=pid)
    probe.refresh_from_db()
    return probe


@transaction.atomic
def probe_complete(*, token: str) -> bool:
    """The probe's effect, at most once: True only for the run that completed it."""
    now = timezone.now()
    done = Probe.objects.filter(token=token, completed_at__isnull=True).update(completed_at=now)
    Probe.objects.filter(completed_at__lt=now - PROBES_KEPT).delete()
    return bool(done)
