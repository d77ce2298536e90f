"""Small helpers for the security pages: durations and devices in plain words."""

import datetime as dt

from django import template
from django.utils import timezone

from ..selectors import describe_device

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """A duration in whole minutes (rounded up), e.g. for "try again in 30 minutes"."""
    if not value:
        return 0
    return -(-int(value.total_seconds()) // 60)


@register.filter
def from_now(value: dt.timedelta | None) -> dt.datetime:
    """The moment `value` from now, to say at what time something becomes possible again."""
    return timezone.localtime(timezone.now() + (value or dt.timedelta()))


@register.filter
def device(user_agent: str) -> str:
    return describe_device(user_agent)
