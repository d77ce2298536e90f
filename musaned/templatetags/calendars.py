"""{{ day|both_calendars }} and {{ day|hijri }}: dates as Saudi readers expect them, in the page language."""

from django import template

from musaned.dates import format_both, format_hijri, in_hijri_range

register = template.Library()


@register.filter
def both_calendars(value):
    """Hijri first, then Gregorian; empty for an empty value."""
    if not value:
        return ""
    return format_both(value)


@register.filter
def hijri(value):
    """The Umm al-Qura date alone; empty for an empty value or a day outside the Hijri tables."""
    if not value or not in_hijri_range(value):
        return ""
    return format_hijri(value)
