"""Deterministic stand-ins for the outside systems, used by the demo and the tests.

Each fake builds the raw answer the real service would send and reads it with the same parser as the
HTTP client (replies.py). settings.INTEGRATIONS_FAKE_FAILURES makes a fake fail, per gateway:

- "timeout": GatewayTimeout, as if the service never answered;
- "error": GatewayError (retryable), as if it answered 503;
- "malformed": the answer arrives with every field null, and the parser raises MalformedReply;
- "lost_reply" (refunds): the service does the work, but its answer never arrives (GatewayTimeout).

Apart from a lost reply, a failed call changes nothing: no outbox row, no bill, no payment.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import math
import random
from collections.abc import Generator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from . import replies
from .base import GatewayError, GatewayTimeout
from .interfaces import (
    BillRef,
    BillStatus,
    CommerceGateway,
    CrStatus,
    EmailGateway,
    IdentityGateway,
    IdentityRecord,
    InsurerGateway,
    MofaGateway,
    PassportsGateway,
    PassportStatus,
    PaymentGateway,
    RefundRef,
    SmsGateway,
    TravelStatus,
)

log = logging.getLogger(__name__)

FAILURE_MODES = ("timeout", "error", "malformed", "lost_reply")


def _answer(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The answer as it reaches the platform once the configured failure, if any, has struck."""
    mode = settings.INTEGRATIONS_FAKE_FAILURES.get(name)
    if mode is None:
        return raw
    if mode not in FAILURE_MODES:
        raise ImproperlyConfigured(f"INTEGRATIONS_FAKE_FAILURES[{name!r}] must be one of {FAILURE_MODES}")
    if mode == "timeout":
        raise GatewayTimeout(f"{name}: no answer within the timeout")
    if mode == "error":
        raise GatewayError(f"{name}: the service answered 503")
    if mode == "lost_reply":
        return raw
    return dict.fromkeys(raw)


def _reply_lost(name: str) -> None:
    """After the work is done: the answer of a service set to lose it never arrives."""
    if settings.INTEGRATIONS_FAKE_FAILURES.get(name) == "lost_reply":
        raise GatewayTimeout(f"{name}: no answer within the timeout")


def _refused(name: str, why: str) -> GatewayError:
    return GatewayError(f"{name}: the service refused the request ({why})", retryable=False)


def _digest(*parts: str, length: int = 20) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:length]


def _last_digit(value: str) -> int:
    return int(value[-1]) if value and value[-1].isdigit() else 0


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


_FEED_FIRST_DAY = dt.date(2020, 1, 1).toordinal()  # when nothing ever changes, statuses date from 2019


def _feed_step(day: int, fraction: float, phase: float) -> tuple[int, int]:
    """How many times a worker with this phase has changed by `day`, and the day of the last change."""
    if fraction == 0:
        return 0, _FEED_FIRST_DAY - int(phase * 365)
    step = int(day * fraction + phase)
    since = math.ceil((step - phase) / fraction)
    if since > day or int(since * fraction + phase) < step or int((since - 1) * fraction + phase) >= step:
        since = _first_day_of_step(day, fraction, phase, step)  # floating-point rounding, rarely
    return step, since


def _first_day_of_step(day: int, fraction: float, phase: float, step: int) -> int:
    since = day
    while int((since - 1) * fraction + phase) >= step:
        since -= 1
    return since


@functools.lru_cache(maxsize=4096)
def _iso_date(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()


def _luhn_pairs() -> list[int]:
    """For each four digits abcd: a + (2b's digits) + c + (2d's digits), a quarter of an iqama's check sum."""
    doubled = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]
    return [
        number // 1000 + doubled[number // 100 % 10] + number // 10 % 10 + doubled[number % 10]
        for number in range(10_000)
    ]


_LUHN_QUARTERS = _luhn_pairs()


def _iqama(index: int, seed: int) -> str:
    """A distinct resident's number for each worker: 2, eight digits, and the Luhn-style check digit."""
    middle = (index * 7919 + seed * 104729) % 100_000_000
    total = 4 + _LUHN_QUARTERS[middle // 10_000] + _LUHN_QUARTERS[middle % 10_000]  # 4: the leading 2 doubled
    return f"2{middle:08d}{-total % 10}"


def _broken_line(kind: str, line: str) -> str:
    passport, iqama, status, date = line.split(",")
    if kind == "field_count":
        return f"{passport},{iqama},{status}"
    if kind == "status":
        return f"{passport},{iqama},missing,{date}"
    if kind == "date":
        return f"{passport},{iqama},{status},{date[:4]}-02-30"
    if kind == "passport_number":
        return f"{passport}#,{iqama},{status},{date}"
    return f"{passport},{iqama[:-1]}{(int(iqama[-1]) + 1) % 10},{status},{date}"


class FakeIdentityGateway(IdentityGateway):
    """Knows every valid ID, except: IDs starting 10000 or 20000 are unknown; 10001 / 20001 have
    another date of birth on file; IDs whose sixth digit is 9 belong to people with a registered
    disability."""

    def verify(self, *, national_id: str, date_of_birth: dt.date) -> IdentityRecord:
        found = national_id[1:5] != "0000"
        raw: dict[str, Any] = {"found": found}
        if found:
            raw |= {
                "date_of_birth_matches": national_id[1:5] != "0001",
                "has_registered_disability": national_id[5:6] == "9",
            }
        return replies.parse_identity(_answer(self.name, raw))


class FakeSmsGateway(SmsGateway):
    """Sends nothing: keeps each SMS in the outbox table (FakeOutbox) where the demo and the tests read it.
    The message id is new on every send."""

    def send(self, *, to: str, text: str) -> str:
        from .models import FakeOutbox

        raw = {"message_id": _digest(to, text, timezone.now().isoformat())}
        message_id = replies.parse_message_id(self.name, _answer(self.name, raw))
        FakeOutbox.objects.create(channel="sms", to=to, body=text, provider_id=message_id)
        log.info("fake SMS to %s: %s", to, text)
        return message_id


class FakeEmailGateway(EmailGateway):
    """Sends nothing: keeps each e-mail in the outbox table (FakeOutbox).
    The message id is new on every send."""

    def send(self, *, to: str, subject: str, body: str) -> str:
        from .models import FakeOutbox

        raw = {"message_id": _digest(to, subject, body, timezone.now().isoformat())}
        message_id = replies.parse_message_id(self.name, _answer(self.name, raw))
        FakeOutbox.objects.create(channel="email", to=to, subject=subject, body=body, provider_id=message_id)
        return message_id


class FakePaymentGateway(PaymentGateway):
    """A SADAD-like biller kept in the FakeBill table.

    - create_bill: the payer's reference is "SADAD" + 12 digits derived from the bill number; issuing
      the same bill number again returns the first bill unchanged. An amount of 0 or less is refused
      (GatewayError, not retryable).
    - bill_status: unpaid until someone pays (`pay`, the demo's stand-in for the payer's bank); an
      unknown bill number is refused (not retryable).
    - refund: refunds up to what was paid, in as many parts as wanted; an unknown payment reference or
      more than is left to refund is refused (not retryable).
    - pay(bill_number=..., amount=None): demo and tests only; pays the bill in full (or `amount`).
      Paying a paid bill changes nothing. `callback(bill_number=...)` gives the signed callback body
      the real service would POST: (body bytes, signature), readable with replies.parse_bill_status.
    """

    def create_bill(self, *, bill_number: str, amount: Decimal, currency: str, due: dt.date) -> BillRef:
        from .models import FakeBill

        if amount <= 0:
            raise _refused(self.name, "the amount must be above zero")
        existing = FakeBill.objects.filter(bill_number=bill_number).first()
        if existing is not None:
            amount, currency, due = existing.amount, existing.currency, existing.due
        raw = {
            "bill_number": bill_number,
            "reference": "SADAD" + str(int(_digest(bill_number, length=12), 16))[-12:].zfill(12),
            "amount": _amount(amount),
            "currency": currency,
            "due_date": due.isoformat(),
        }
        bill = replies.parse_bill(_answer(self.name, raw))
        if existing is None:
            FakeBill.objects.create(
                bill_number=bill.bill_number,
                reference=bill.reference,
                amount=bill.amount,
                currency=bill.currency,
                due=bill.due,
            )
        return bill

    def bill_status(self, *, bill_number: str) -> BillStatus:
        return replies.parse_bill_status(_answer(self.name, self._bill(bill_number).status_reply()))

    def refund(self, *, payment_ref: str, amount: Decimal, key: str) -> RefundRef:
        from .models import FakeBill

        with transaction.atomic():
            bill = FakeBill.objects.select_for_update().filter(payment_ref=payment_ref).first()
            if not payment_ref or bill is None:
                raise _refused(self.name, "unknown payment")
            if key in bill.refunds:
                refund = replies.parse_refund(_answer(self.name, bill.refunds[key]))
            else:
                if amount <= 0 or bill.refunded + amount > bill.paid_amount:
                    raise _refused(self.name, "more than is left to refund")
                raw = {
                    "refund_ref": "RF" + _digest(payment_ref, key, length=14).upper(),
                    "payment_ref": payment_ref,
                    "amount": _amount(amount),
                }
                refund = replies.parse_refund(_answer(self.name, raw))
                bill.refunded += refund.amount
                bill.refunds[key] = raw
                bill.save(update_fields=["refunded", "refunds"])
        _reply_lost(self.name)
        return refund

    def pay(self, *, bill_number: str, amount: Decimal | None = None) -> BillStatus:
        with transaction.atomic():
            bill = self._bill(bill_number, lock=True)
            if bill.paid_at is None:
                bill.paid_amount = bill.amount if amount is None else amount
                bill.paid_at = timezone.now()
                bill.payment_ref = "PAY" + _digest(bill.reference, length=14).upper()
                bill.save(update_fields=["paid_amount", "paid_at", "payment_ref"])
        return replies.parse_bill_status(bill.status_reply())

    def callback(self, *, bill_number: str) -> tuple[bytes, str]:
        body = json.dumps(self._bill(bill_number).status_reply(), sort_keys=True).encode()
        return body, self.sign(body)

    def _bill(self, bill_number: str, *, lock: bool = False):
        from .models import FakeBill

        bills = FakeBill.objects.select_for_update() if lock else FakeBill.objects
        bill = bills.filter(bill_number=bill_number).first()
        if bill is None:
            raise _refused(self.name, "unknown bill")
        return bill


class FakePassportsGateway(PassportsGateway):
    """The worker's status follows the passport number's last digit (a letter counts as 0):
    0 abroad (no date); 1-5 arrived; 6 exited; 7 absent; 8 imprisoned; 9 deceased.
    Every status but "abroad" took effect today."""

    STATUS_BY_DIGIT = {
        0: TravelStatus.ABROAD,
        6: TravelStatus.EXITED,
        7: TravelStatus.ABSENT,
        8: TravelStatus.IMPRISONED,
        9: TravelStatus.DECEASED,
    }

    def worker_status(self, *, passport_number: str) -> PassportStatus:
        status = self.STATUS_BY_DIGIT.get(_last_digit(passport_number), TravelStatus.ARRIVED)
        raw = {
            "passport_number": passport_number,
            "status": status.value,
            "status_date": None if status == TravelStatus.ABROAD else timezone.localdate().isoformat(),
        }
        return replies.parse_passport_status(_answer(self.name, raw))

    # The bulk feed: a made-up nation of workers, the same for the same seed, size and day.
    #
    # Worker i has the passport number <letter of the seed><i, 8 digits> and a valid iqama number of its
    # own. Its status moves along FEED_ROUND, one step per change; it changes on a day when
    # floor(day * changed_fraction + phase) steps up, the phase being drawn for it from the seed. So
    # about `changed_fraction` of the workers change from one day to the next, each change dated the
    # day it happened, and any day's file is computed directly, without the days before it.

    FEED_ROUND = (
        TravelStatus.ABROAD,
        TravelStatus.ARRIVED,
        TravelStatus.ABSENT,
        TravelStatus.ARRIVED,
        TravelStatus.EXITED,
        TravelStatus.ABROAD,
        TravelStatus.ARRIVED,
        TravelStatus.IMPRISONED,
        TravelStatus.ARRIVED,
        TravelStatus.DECEASED,
    )
    FEED_BLOCK = 1024  # workers drawn from one seeded generator: any line is reached without the others
    PASSPORT_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
    MALFORMED_KINDS = ("field_count", "status", "date", "passport_number", "iqama_number")

    def __init__(
        self,
        *,
        feed_size: int | None = None,
        seed: int | None = None,
        changed_fraction: float | None = None,
        malformed_rows: int | None = None,
        break_after: int | None = None,
    ) -> None:
        """Settings give the defaults: PASSPORTS_FAKE_FEED_SIZE (1,000 workers), _SEED (1), _CHANGED
        (0.01 of the workers change a day) and _MALFORMED (no broken rows).

        `malformed_rows` spreads that many broken lines evenly through the file, each broken one of
        MALFORMED_KINDS' ways in turn. `break_after`: the connection drops once, after that many lines
        of the file, as a network failure would; the next reading goes through.
        """
        self.feed_size = _setting("PASSPORTS_FAKE_FEED_SIZE", 1000) if feed_size is None else feed_size
        self.seed = _setting("PASSPORTS_FAKE_FEED_SEED", 1) if seed is None else seed
        self.changed_fraction = (
            _setting("PASSPORTS_FAKE_FEED_CHANGED", 0.01) if changed_fraction is None else changed_fraction
        )
        self.malformed_rows = (
            _setting("PASSPORTS_FAKE_FEED_MALFORMED", 0) if malformed_rows is None else malformed_rows
        )
        self.break_after = break_after
        if not 0 <= self.changed_fraction <= 1:
            raise ImproperlyConfigured("The fake feed's changed fraction must be between 0 and 1.")

    def bulk_feed(self, *, run_date: dt.date, skip: int = 0) -> Generator[str, None, None]:
        header = _answer(self.name, {"header": ",".join(replies.FEED_COLUMNS)})["header"]
        replies.parse_feed_header(header)
        return self._feed_lines(run_date, skip)

    def malformed_positions(self) -> dict[int, str]:
        """Which lines of the file (0 = the first after the header) are broken, and how."""
        if self.malformed_rows <= 0 or self.feed_size <= 0:
            return {}
        step = max(self.feed_size // self.malformed_rows, 1)
        positions = range(step // 2, self.feed_size, step)
        return {
            position: self.MALFORMED_KINDS[number % len(self.MALFORMED_KINDS)]
            for number, position in enumerate(positions[: self.malformed_rows])
        }

    def _feed_lines(self, run_date: dt.date, skip: int) -> Generator[str, None, None]:
        skip = max(skip, 0)
        broken = self.malformed_positions()
        for block in range(skip // self.FEED_BLOCK, -(-self.feed_size // self.FEED_BLOCK)):
            first = block * self.FEED_BLOCK
            lines = self._feed_block(run_date.toordinal(), block)
            for index in range(max(first, skip), first + len(lines)):
                if self.break_after is not None and index >= self.break_after:
                    self.break_after = None
                    raise GatewayError(f"{self.name}: the connection dropped during the feed")
                kind = broken.get(index)
                yield lines[index - first] if kind is None else _broken_line(kind, lines[index - first])

    def _feed_block(self, day: int, block: int) -> list[str]:
        """The lines of one block of workers, drawn from the block's own seeded generator."""
        draws = random.Random(f"{self.seed}:{block}").random  # noqa: S311 (made-up data, not secrets)
        letter = self.PASSPORT_LETTERS[self.seed % len(self.PASSPORT_LETTERS)]
        statuses = [status.value for status in self.FEED_ROUND]
        fraction, rounds = self.changed_fraction, len(statuses)
        first = block * self.FEED_BLOCK
        lines = []
        for index in range(first, min(first + self.FEED_BLOCK, self.feed_size)):
            phase, start = draws(), draws()
            step, since = _feed_step(day, fraction, phase)
            status = statuses[(int(start * rounds) + step) % rounds]
            lines.append(f"{letter}{index:08d},{_iqama(index, self.seed)},{status},{_iso_date(since)}")
        return lines


class FakeCommerceGateway(CommerceGateway):
    """CR numbers ending in 0 are unknown; ending in 9, the registration expired 30 days ago; any other
    is valid for a year from today. The registered name is "مكتب استقدام" and the last four digits."""

    def cr_status(self, *, cr_number: str) -> CrStatus:
        digit = _last_digit(cr_number)
        raw: dict[str, Any] = {"cr_number": cr_number, "found": not cr_number.endswith("0")}
        if raw["found"]:
            days = -30 if digit == 9 else 365
            raw |= {
                "valid_until": (timezone.localdate() + dt.timedelta(days=days)).isoformat(),
                "name": f"مكتب استقدام {cr_number[-4:]}",
            }
        return replies.parse_cr_status(_answer(self.name, raw))


class FakeMofaGateway(MofaGateway):
    """Activates every visa; the reference is "MOFA-" and 10 characters derived from the visa number,
    so activating again gives the same reference."""

    def activate_visa(self, *, visa_number: str) -> str:
        raw = {"activation_ref": "MOFA-" + _digest(visa_number, length=10).upper()}
        return replies.parse_activation(_answer(self.name, raw))


class FakeInsurerGateway(InsurerGateway):
    """Insures any amount above zero (0 or less is refused, not retryable); the policy number is
    "POL-" and 12 characters derived from the reference and amount, the same for the same request."""

    def issue_policy(self, *, reference: str, amount: Decimal) -> str:
        if amount <= 0:
            raise _refused(self.name, "the amount must be above zero")
        raw = {"policy_number": "POL-" + _digest(reference, _amount(amount), length=12).upper()}
        return replies.parse_policy(_answer(self.name, raw))
