"""Reading one line of the passports feed into a worker's record, or saying why it cannot be read.

Millions of lines a night go through `parse_feed_row`: it tries the service's exact format first with
plain string operations, and reads field by field (to say what is wrong) only when that fails.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from musaned.integrations.interfaces import TravelStatus

from .models import RejectReason

STATUSES = frozenset(TravelStatus.values)
PASSPORT_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class FeedRow(NamedTuple):
    passport_number: str
    iqama_number: str
    status: str
    status_date: dt.date | None


class RowRejected(Exception):
    def __init__(self, reason: RejectReason) -> None:
        super().__init__(reason)
        self.reason = reason


def _doubled(digit: int) -> int:
    """A digit in an odd position counts twice, the digits of the product added."""
    return digit * 2 - 9 if digit > 4 else digit * 2


# Luhn-style sums of digit groups whose first (and third) digits sit in odd positions, as tables.
_SUM_OF_FOUR = [_doubled(n // 1000) + n // 100 % 10 + _doubled(n // 10 % 10) + n % 10 for n in range(10_000)]
_SUM_OF_TWO = [_doubled(n // 10) + n % 10 for n in range(100)]


def iqama_number_ok(value: str) -> bool:
    """A resident's number: 2, then nine digits, the last of them the Luhn-style check digit."""
    if len(value) != 10 or value[0] != "2" or not (value.isascii() and value.isdigit()):
        return False
    number = int(value)
    total = (
        _SUM_OF_FOUR[number // 1_000_000] + _SUM_OF_FOUR[number // 100 % 10_000] + _SUM_OF_TWO[number % 100]
    )
    return total % 10 == 0


def passport_number_ok(value: str) -> bool:
    """5 to 20 capital letters and digits."""
    return 5 <= len(value) <= 20 and not value.strip(PASSPORT_CHARACTERS)


def _iso_date(value: str) -> dt.date | None:
    """YYYY-MM-DD exactly (fromisoformat alone would also take week dates and compact forms)."""
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def parse_feed_row(line: str, *, latest: dt.date) -> FeedRow:
    """The record on one line, or RowRejected with the first fault found.

    A date is required except for a worker still abroad, and may not be after `latest` (the feed's
    own date). Passport numbers are read in capitals, statuses in small letters, spaces around fields
    ignored.
    """
    fields = line.split(",")
    if len(fields) == 4:
        passport, iqama, status, date = fields
        if status in STATUSES and passport_number_ok(passport) and (not iqama or iqama_number_ok(iqama)):
            day = _iso_date(date)
            if day is not None and day <= latest:
                return FeedRow._make((passport, iqama, status, day))
    return _parse_fields(fields, latest)


def _parse_fields(fields: list[str], latest: dt.date) -> FeedRow:
    if len(fields) != 4:
        raise RowRejected(RejectReason.FIELD_COUNT)
    passport, iqama, status, date = (field.strip() for field in fields)
    passport, status = passport.upper(), status.lower()
    if not passport_number_ok(passport):
        raise RowRejected(RejectReason.PASSPORT_NUMBER)
    if iqama and not iqama_number_ok(iqama):
        raise RowRejected(RejectReason.IQAMA_NUMBER)
    if status not in STATUSES:
        raise RowRejected(RejectReason.STATUS)
    if not date:
        if status != TravelStatus.ABROAD:
            raise RowRejected(RejectReason.DATE_MISSING)
        return FeedRow(passport, iqama, status, None)
    day = _iso_date(date)
    if day is None:
        raise RowRejected(RejectReason.DATE)
    if day > latest:
        raise RowRejected(RejectReason.DATE_AHEAD)
    return FeedRow(passport, iqama, status, day)
