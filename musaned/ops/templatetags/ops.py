"""Showing on a case page how outages held its deadline: {% deadline_pauses "passports,mofa" start end %}."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django import template
from django.utils.timesince import timesince

from musaned.deadlines import deadline_pause_events

register = template.Library()


@register.inclusion_tag("ops/deadline_pauses.html")
def deadline_pauses(gateway: str | Iterable[str], start: dt.datetime, end: dt.datetime) -> dict:
    """`gateway`: one system, several separated by commas, or a list. Renders nothing without pauses."""
    names = [name.strip() for name in gateway.split(",")] if isinstance(gateway, str) else list(gateway)
    events = deadline_pause_events(gateway=names, start=start, end=end)
    return {
        "pauses": [
            {
                "event": event,
                "duration": timesince(event.started_at, event.started_at + event.paused, depth=2),
            }
            for event in events
            if event.paused or event.ongoing
        ]
    }
