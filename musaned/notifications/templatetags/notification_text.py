"""Filters for notification texts, whose context may have crossed a task boundary as JSON.

Dates and moments may therefore arrive as ISO strings; they are written in the recipient's language
(the one active while the notification renders), Hijri first as everywhere on the platform.
"""

import datetime as dt

from django import template
from django.utils import timezone

from musaned.accounts.models import DelegationScope
from musaned.dates import format_both

register = template.Library()


def _parse(value):
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, dt.date) else None


@register.filter
def day(value) -> str:
    """A date (or the day of a moment) in both calendars; the value unchanged if it is not a date."""
    parsed = _parse(value)
    return format_both(parsed) if parsed is not None else str(value or "")


@register.filter
def moment(value) -> str:
    """A moment as its day in both calendars and the local time, e.g. "... 14:05"."""
    parsed = _parse(value)
    if not isinstance(parsed, dt.datetime):
        return day(value)
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return f"{format_both(parsed)} {parsed:%H:%M}"


@register.filter
def delegation_scope(value) -> str:
    """A delegation scope's code as its label in the active language; anything else unchanged."""
    if value in DelegationScope.values:
        return str(DelegationScope(value).label)
    return str(value or "")
