"""Reading the outside systems' answers: one parser per answer, shared by the HTTP clients and the fakes.

Each parser takes the decoded JSON object the service sends and returns the interface's dataclass, or
raises MalformedReply naming the field at fault (never its value: answers carry personal data).
Amounts travel as decimal strings ("2000.00"), dates as ISO dates, moments as ISO 8601 with an offset.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from .base import MalformedReply
from .interfaces import BillRef, BillStatus, CrStatus, IdentityRecord, PassportStatus, RefundRef, TravelStatus

_MISSING = object()


class Reply:
    """Typed access to the fields of one answer; any surprise becomes MalformedReply."""

    def __init__(self, gateway: str, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise MalformedReply(f"{gateway}: the answer is not a JSON object")
        self.gateway = gateway
        self.raw = raw

    def _get(self, key: str, optional: bool) -> Any:
        value = self.raw.get(key, _MISSING)
        if value is _MISSING or value is None:
            if optional:
                return None
            raise MalformedReply(f"{self.gateway}: the answer has no '{key}'")
        return value

    def _wrong(self, key: str, expected: str) -> MalformedReply:
        return MalformedReply(f"{self.gateway}: '{key}' in the answer is not {expected}")

    def text(self, key: str, *, optional: bool = False) -> str:
        value = self._get(key, optional)
        if value is None:
            return ""
        if not isinstance(value, str) or (not optional and not value.strip()):
            raise self._wrong(key, "a non-empty text")
        return value.strip()

    def flag(self, key: str) -> bool:
        value = self._get(key, False)
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def amount(self, key: str, *, optional: bool = False) -> Decimal | None:
        value = self._get(key, optional)
        if value is None:
            return None
        if isinstance(value, bool | float) or not isinstance(value, str | int | Decimal):
            raise self._wrong(key, "an amount")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise self._wrong(key, "an amount") from None
        if not amount.is_finite() or amount < 0:
            raise self._wrong(key, "an amount")
        return amount

    def date(self, key: str, *, optional: bool = False) -> dt.date | None:
        value = self._get(key, optional)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise self._wrong(key, "a date") from None

    def moment(self, key: str, *, optional: bool = False) -> dt.datetime | None:
        value = self._get(key, optional)
        if value is None:
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise self._wrong(key, "a date and time") from None
        if moment.tzinfo is None:
            raise self._wrong(key, "a date and time with its offset")
        return moment

    def choice(self, key: str, choices: list[str]) -> str:
        value = self._get(key, False)
        if value not in choices:
            raise self._wrong(key, "one of " + ", ".join(choices))
        return value


def parse_identity(raw: Any) -> IdentityRecord:
    reply = Reply("identity", raw)
    found = reply.flag("found")
    if not found:
        return IdentityRecord(found=False)
    return IdentityRecord(
        found=True,
        date_of_birth_matches=reply.flag("date_of_birth_matches"),
        has_registered_disability=reply.flag("has_registered_disability"),
    )


def parse_message_id(gateway: str, raw: Any) -> str:
    """SMS and e-mail providers answer a send with the id they gave the message."""
    return Reply(gateway, raw).text("message_id")


def parse_bill(raw: Any) -> BillRef:
    reply = Reply("payment", raw)
    return BillRef(
        bill_number=reply.text("bill_number"),
        reference=reply.text("reference"),
        amount=reply.amount("amount"),
        currency=reply.text("currency"),
        due=reply.date("due_date"),
    )


def parse_bill_status(raw: Any) -> BillStatus:
    reply = Reply("payment", raw)
    bill_number = reply.text("bill_number")
    if reply.choice("status", ["paid", "unpaid"]) == "unpaid":
        return BillStatus(bill_number=bill_number, paid=False)
    return BillStatus(
        bill_number=bill_number,
        paid=True,
        paid_amount=reply.amount("paid_amount"),
        paid_at=reply.moment("paid_at"),
        payment_ref=reply.text("payment_ref"),
    )


def parse_refund(raw: Any) -> RefundRef:
    reply = Reply("payment", raw)
    return RefundRef(
        refund_ref=reply.text("refund_ref"),
        payment_ref=reply.text("payment_ref"),
        amount=reply.amount("amount"),
    )


def parse_passport_status(raw: Any) -> PassportStatus:
    reply = Reply("passports", raw)
    status = TravelStatus(reply.choice("status", TravelStatus.values))
    return PassportStatus(
        passport_number=reply.text("passport_number"),
        status=status,
        date=reply.date("status_date", optional=status == TravelStatus.ABROAD),
    )


def parse_cr_status(raw: Any) -> CrStatus:
    reply = Reply("commerce", raw)
    cr_number, found = reply.text("cr_number"), reply.flag("found")
    if not found:
        return CrStatus(cr_number=cr_number, found=False)
    valid_until, name = reply.date("valid_until"), reply.text("name")
    return CrStatus(cr_number=cr_number, found=True, valid_until=valid_until, name=name)


def parse_activation(raw: Any) -> str:
    return Reply("mofa", raw).text("activation_ref")


def parse_policy(raw: Any) -> str:
    return Reply("insurer", raw).text("policy_number")


# The passports service's nightly feed: CSV lines under this header, one worker a line.
FEED_COLUMNS = ("passport_number", "iqama_number", "status", "status_date")


def parse_feed_header(line: Any) -> None:
    """The first line of a bulk feed must name the columns the platform reads, in that order.

    A feed whose header is missing or different is refused whole: its rows cannot be trusted to mean
    what the columns say.
    """
    if not isinstance(line, str):
        raise MalformedReply("passports: the feed has no header line")
    columns = tuple(column.strip().lower() for column in line.lstrip("\ufeff").strip().split(","))
    if columns != FEED_COLUMNS:
        raise MalformedReply("passports: the feed's header is not " + ",".join(FEED_COLUMNS))
