"""Deterministic stand-ins for the outside systems, used by the demo and the tests.

Each fake builds the raw answer the real service would send and reads it with the same parser as the
HTTP client (replies.py). settings.INTEGRATIONS_FAKE_FAILURES makes a fake fail, per gateway:

- "timeout": GatewayTimeout, as if the service never answered;
- "error": GatewayError (retryable), as if it answered 503;
- "malformed": the answer arrives with every field null, and the parser raises MalformedReply.

A failed call changes nothing: no outbox row, no bill, no payment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
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

FAILURE_MODES = ("timeout", "error", "malformed")


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
    return dict.fromkeys(raw)


def _refused(name: str, why: str) -> GatewayError:
    return GatewayError(f"{name}: the service refused the request ({why})", retryable=False)


def _digest(*parts: str, length: int = 20) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:length]


def _last_digit(value: str) -> int:
    return int(value[-1]) if value and value[-1].isdigit() else 0


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


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

    def refund(self, *, payment_ref: str, amount: Decimal) -> RefundRef:
        from .models import FakeBill

        with transaction.atomic():
            bill = FakeBill.objects.select_for_update().filter(payment_ref=payment_ref).first()
            if not payment_ref or bill is None:
                raise _refused(self.name, "unknown payment")
            if amount <= 0 or bill.refunded + amount > bill.paid_amount:
                raise _refused(self.name, "more than is left to refund")
            raw = {
                "refund_ref": "RF" + _digest(payment_ref, _amount(bill.refunded + amount), length=14).upper(),
                "payment_ref": payment_ref,
                "amount": _amount(amount),
            }
            refund = replies.parse_refund(_answer(self.name, raw))
            bill.refunded += refund.amount
            bill.save(update_fields=["refunded"])
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
