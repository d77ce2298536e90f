"""The worker probe: run every minute by beat; the health endpoint reports when it last completed."""

from __future__ import annotations

import logging
import os
import time

from celery import shared_task

from . import services

log = logging.getLogger(__name__)


@shared_task(name="ops.probe", bind=True)
def probe(self, token: str | None = None, sleep_seconds: float = 0) -> bool:
    """Start, wait `sleep_seconds` if asked, then complete the probe once.

    Idempotent: keyed by `token` (by default the task id, which a redelivered message keeps), so a
    message delivered again after a worker died completes the probe only once.
    """
    token = token or self.request.id
    services.probe_start(token=token, pid=os.getpid())
    if sleep_seconds:
        time.sleep(sleep_seconds)
    completed = services.probe_complete(token=token)
    log.info("probe %s %s", token, "completed" if completed else "was already complete")
    return completed
