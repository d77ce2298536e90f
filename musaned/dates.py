"""Hijri (Umm al-Qura) and Gregorian dates: conversion, reading what people type, and writing both.

Saudi documents give dates in both calendars, Hijri first; Umm al-Qura is the official Hijri calendar.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from hijridate import Gregorian, Hijri
from hijridate.ummalqura import GREGORIAN_RANGE, HIJRI_RANGE

HIJRI_MONTHS_AR = (
    "محرم",
    "صفر",
    "ربيع الأول",
    "ربيع الآخر",
    "جمادى الأولى",
    "جمادى الآخرة",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "ذو القعدة",
    "ذو الحجة",
)
HIJRI_MONTHS_EN = (
    "Muharram",
    "Safar",
    "Rabi' al-Awwal",
    "Rabi' al-Akhir",
    "Jumada al-Ula",
    "Jumada al-Akhirah",
    "Rajab",
    "Sha'ban",
    "Ramadan",
    "Shawwal",
    "Dhu al-Qi'dah",
    "Dhu al-Hijjah",
)
GREGORIAN_MONTHS_AR = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
GREGORIAN_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

FIRST_HIJRI = HIJRI_RANGE[0]
LAST_HIJRI = HIJRI_RANGE[1]
FIRST_DATE = date(*GREGORIAN_RANGE[0])
LAST_DATE = date(*GREGORIAN_RANGE[1])

# Arabic-Indic (٠-٩) and Extended Arabic-Indic (۰-۹, Persian and Urdu keyboards) digits.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_YEAR_FIRST = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})")


class HijriDate(NamedTuple):
    year: int
    month: int
    day: int

    def isoformat(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


def _arabic(language: str | None) -> bool:
    return not (language or get_language() or "ar").lower().startswith("en")


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _range_error() -> ValidationError:
    first, last = HijriDate(*FIRST_HIJRI), HijriDate(*LAST_HIJRI)
    return ValidationError(
        _("Hijri dates can be used from %(first)s to %(last)s.")
        % {"first": format_both_parts(first, FIRST_DATE), "last": format_both_parts(last, LAST_DATE)},
        code="hijri_range",
    )


def in_hijri_range(value: date | datetime) -> bool:
    return FIRST_DATE <= _as_date(value) <= LAST_DATE


def to_hijri(value: date | datetime) -> HijriDate:
    """The Umm al-Qura date of a Gregorian day; ValidationError outside the supported years."""
    value = _as_date(value)
    if not in_hijri_range(value):
        raise _range_error()
    hijri = Gregorian(value.year, value.month, value.day).to_hijri()
    return HijriDate(hijri.year, hijri.month, hijri.day)


def hijri_month_length(year: int, month: int) -> int:
    return Hijri(year, month, 1).month_length()


def from_hijri(year: int, month: int, day: int) -> date:
    """The Gregorian day of an Umm al-Qura date; ValidationError when it does not exist or is out of range."""
    if not FIRST_HIJRI[0] <= year <= LAST_HIJRI[0]:
        raise _range_error()
    if not 1 <= month <= 12:
        raise ValidationError(_("A Hijri month is a number from 1 to 12."), code="hijri_month")
    length = hijri_month_length(year, month)
    if not 1 <= day <= length:
        raise ValidationError(
            _("%(month)s %(year)d has %(days)d days: there is no day %(day)d.")
            % {"month": hijri_month_name(month), "year": year, "days": length, "day": day},
            code="hijri_day",
        )
    gregorian = Hijri(year, month, day).to_gregorian()
    return date(gregorian.year, gregorian.month, gregorian.day)


def hijri_month_name(month: int, language: str | None = None) -> str:
    return (HIJRI_MONTHS_AR if _arabic(language) else HIJRI_MONTHS_EN)[month - 1]


def format_hijri(value: date | datetime | HijriDate, language: str | None = None) -> str:
    """ "12 ربيع الأول 1405 هـ" or "12 Rabi' al-Awwal 1405 AH"."""
    hijri = value if isinstance(value, HijriDate) else to_hijri(value)
    suffix = "هـ" if _arabic(language) else "AH"
    return f"{hijri.day} {hijri_month_name(hijri.month, language)} {hijri.year} {suffix}"


def format_gregorian(value: date | datetime, language: str | None = None) -> str:
    """ "3 ديسمبر 1984" or "3 December 1984"."""
    value = _as_date(value)
    months = GREGORIAN_MONTHS_AR if _arabic(language) else GREGORIAN_MONTHS_EN
    return f"{value.day} {months[value.month - 1]} {value.year}"


def format_both_parts(hijri: HijriDate, gregorian: date, language: str | None = None) -> str:
    if _arabic(language):
        return f"{format_hijri(hijri, language)} — {format_gregorian(gregorian, language)}"
    return f"{format_hijri(hijri, language)} ({format_gregorian(gregorian, language)})"


def format_both(value: date | datetime, language: str | None = None) -> str:
    """Hijri first, then Gregorian, in `language` (the active one by default).

    Days outside the Umm al-Qura tables are written in the Gregorian calendar only.
    """
    value = _as_date(value)
    if not in_hijri_range(value):
        return format_gregorian(value, language)
    return format_both_parts(to_hijri(value), value, language)


def parse_numeric_date(text: str) -> tuple[int, int, int]:
    """(year, month, day) from "YYYY-MM-DD" or "DD/MM/YYYY", in Western or Arabic-Indic digits.

    The numbers are not checked against a calendar: the caller knows which one was meant.
    """
    cleaned = (text or "").translate(_DIGITS).strip()
    if match := _YEAR_FIRST.fullmatch(cleaned):
        year, month, day = match.groups()
    elif match := _DAY_FIRST.fullmatch(cleaned):
        day, month, year = match.groups()
    else:
        raise ValidationError(
            _("Write the date as year-month-day (for example 1446-09-15) or day/month/year (15/09/1446)."),
            code="date_format",
        )
    return int(year), int(month), int(day)
