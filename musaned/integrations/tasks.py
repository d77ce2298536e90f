"""The Celery base class for work that reaches an outside system."""

from __future__ import annotations

import math
from typing import Any

from celery import Task
from celery.utils.time import get_exponential_backoff_interval
from django.utils import timezone

from .base import GatewayError, GatewayUnavailable
from .resilience import FIRST_FAILED_HEADER, request_header


class GatewayTask(Task):
    """Retries a task while the outside system is down, and only then.

    Use it as ``@shared_task(base=GatewayTask, bind=True)``. When the task raises a GatewayError whose
    `retryable` is true (timeouts, 5xx, unreadable answers, an open circuit), it is run again after an
    exponential delay with full jitter (about 30 s, 1 min, 2 min, ... capped at an hour; never before
    an open circuit lets calls through again), up to `max_retries` times; then the error is raised
    for good. An error that is not retryable (the service refused the request) and any other
    exception fail the task at once. A task that fails for good is kept as a dead letter for the back
    office to send again or discard (resilience.py); every retry carries the time of the first
    failure for it.

    Messages are acknowledged only after the task ends (`acks_late`) and given back if the worker
    dies, so a task may run more than once: it must be idempotent. Call gateways outside database
    transactions: no lock is held while waiting on the network, and the call log survives a rollback.

    `self.will_retry(exc)` tells the task body whether this failure will be tried again, to record a
    final failure before raising.
    """

    max_retries = 8
    acks_late = True
    reject_on_worker_lost = True
    retry_backoff_seconds = 30
    retry_backoff_max_seconds = 3600

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except GatewayError as exc:
            if not exc.retryable:
                raise
            raise self.retry(exc=exc, countdown=self.retry_delay(exc)) from exc

    def retry(self, *args: Any, **options: Any) -> Any:
        """Celery's retry, with the time of the first failure kept in the message headers."""
        first = request_header(self.request, FIRST_FAILED_HEADER) or timezone.now().isoformat()
        options["headers"] = {**(self.request.headers or {}), **(options.get("headers") or {})}
        options["headers"][FIRST_FAILED_HEADER] = first
        return super().retry(*args, **options)

    def retry_delay(self, exc: GatewayError | None = None) -> int:
        """Seconds before the next attempt: exponential in the attempts made so far, with full jitter,
        and not before the circuit of an unavailable system lets calls through again."""
        delay = get_exponential_backoff_interval(
            factor=self.retry_backoff_seconds,
            retries=self.request.retries,
            maximum=self.retry_backoff_max_seconds,
            full_jitter=True,
        )
        if isinstance(exc, GatewayUnavailable) and exc.retry_at is not None:
            delay = max(delay, math.ceil((exc.retry_at - timezone.now()).total_seconds()))
        return delay

    def will_retry(self, exc: GatewayError) -> bool:
        return exc.retryable and self.request.retries < self.max_retries
