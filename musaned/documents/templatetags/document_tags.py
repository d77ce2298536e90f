"""Filters the document templates share."""

from django import template

from musaned.dates import format_both

register = template.Library()


@register.filter
def both_dates(value, language: str) -> str:
    """`{{ day|both_dates:"en" }}`: Hijri and Gregorian in the given language, whatever the page's."""
    if not value:
        return ""
    return format_both(value, language)


@register.filter
def grouped(code: str, size: int = 4) -> str:
    """`{{ document.code|grouped }}`: a long code in groups of four, easier to read out and type."""
    code = code or ""
    return " ".join(code[index : index + size] for index in range(0, len(code), size))
