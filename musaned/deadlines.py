"""Deadlines that stand still while an outside system they depend on is down.

Nobody is penalised for an outage: a deadline that needs a system (the payer needs the payment
service to pay a bill; an office needs the passports and foreign-ministry services to deliver a
worker) runs only while that system works. The outages are the DeadlinePause rows the circuit breaker
writes (musaned/integrations/resilience.py): from the first failure in the row that opened a
system's circuit until the circuit closes again.

Every function takes one system's name or several (the deadline stands still while any of them is
down; overlapping outages count once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from musaned.integrations.models import DeadlinePause

# What each outside system is called on the pages that show a pause.
GATEWAY_LABELS: dict[str, Promise] = {
    "identity": _("identity service"),
    "sms": _("SMS service"),
    "email": _("e-mail service"),
    "payment": _("payment service"),
    "passports": _("passports service"),
    "commerce": _("commercial registry"),
    "mofa": _("foreign-ministry service"),
    "insurer": _("insurance service"),
}

Gateways = str | Iterable[str]


@dataclass(frozen=True)
class PauseEvent:
    """One outage as a case shows it: when it began and ended (None while it lasts) and how long it
    held the deadline within the period asked about."""

    gateway: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    paused: dt.timedelta

    @property
    def label(self) -> Promise:
        return GATEWAY_LABELS.get(self.gateway, self.gateway)

    @property
    def ongoing(self) -> bool:
        return self.ended_at is None


def _names(gateway: Gateways) -> list[str]:
    return [gateway] if isinstance(gateway, str) else list(gateway)


def _pauses(
    gateway: Gateways, *, since: dt.datetime, until: dt.datetime | None = None
) -> list[DeadlinePause]:
    """Pauses of the systems that had not ended by `since` (and began before `until`), oldest first."""
    pauses = DeadlinePause.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=since), gateway__in=_names(gateway)
    )
    if until is not None:
        pauses = pauses.filter(started_at__lt=until)
    return list(pauses.order_by("started_at", "id"))


def _merged(pauses: list[DeadlinePause], now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The pauses as disjoint intervals; a pause still running lasts until now."""
    intervals: list[tuple[dt.datetime, dt.datetime]] = []
    for pause in pauses:
        start, end = pause.started_at, pause.ended_at or max(now, pause.started_at)
        if intervals and start <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], max(intervals[-1][1], end))
        else:
            intervals.append((start, end))
    return intervals


def deadline_with_pauses(
    *, start: dt.datetime, duration: dt.timedelta, gateway: Gateways, now: dt.datetime | None = None
) -> dt.datetime:
    """When a deadline of `duration` from `start` falls due, counting only the time the system(s)
    worked.

    Each outage that begins before the (already extended) due time pushes it back by the part of the
    outage after `start`. While an outage that began before the due time lasts, the result is always
    later than now: the deadline cannot pass during it. `now` (default: the current time) is where an
    outage still running is taken to end.
    """
    now = now or timezone.now()
    due = start + duration
    for pause_start, pause_end in _merged(_pauses(gateway, since=start), now):
        if pause_start >= due:
            break
        due += pause_end - max(pause_start, start)
    return due


def paused_between(
    *, gateway: Gateways, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> dt.timedelta:
    """How long, between `start` and `end`, the system(s) were down (overlaps counted once)."""
    now = now or timezone.now()
    total = dt.timedelta()
    for pause_start, pause_end in _merged(_pauses(gateway, since=start, until=end), now):
        total += max(dt.timedelta(), min(pause_end, end) - max(pause_start, start))
    return total


def deadline_pause_events(
    *, gateway: Gateways, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> list[PauseEvent]:
    """The outages that held a case's deadline between `start` and `end`, for its page ("paused 3 h
    during the identity-service outage"): each system's outages on their own, oldest first."""
    now = now or timezone.now()
    events = []
    for pause in _pauses(gateway, since=start, until=end):
        pause_end = pause.ended_at or max(now, pause.started_at)
        events.append(
            PauseEvent(
                gateway=pause.gateway,
                started_at=pause.started_at,
                ended_at=pause.ended_at,
                paused=max(dt.timedelta(), min(pause_end, end) - max(pause.started_at, start)),
            )
        )
    return events
