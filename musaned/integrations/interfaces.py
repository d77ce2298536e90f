"""What the platform asks of each outside system, independent of how it is reached.

Every operation raises GatewayError (or a subclass) when the service cannot answer; see base.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class IdentityRecord:
    """The identity service's answer about one national ID / iqama number."""

    found: bool
    date_of_birth_matches: bool = False
    has_registered_disability: bool = False


class IdentityGateway(ABC):
    name = "identity"

    @abstractmethod
    def verify(self, *, national_id: str, date_of_birth: dt.date) -> IdentityRecord:
        """Look the person up; GatewayError (or a subclass) when the service cannot answer."""


class SmsGateway(ABC):
    name = "sms"

    @abstractmethod
    def send(self, *, to: str, text: str) -> str:
        """Send one SMS to an E.164 number; returns the provider's message id."""


class EmailGateway(ABC):
    name = "email"

    @abstractmethod
    def send(self, *, to: str, subject: str, body: str) -> str:
        """Send one e-mail; returns the provider's message id."""


@dataclass(frozen=True)
class BillRef:
    """A bill the payment service now knows; `reference` is the number the payer pays against."""

    bill_number: str
    reference: str
    amount: Decimal
    currency: str
    due: dt.date


@dataclass(frozen=True)
class BillStatus:
    bill_number: str
    paid: bool
    paid_amount: Decimal | None = None
    paid_at: dt.datetime | None = None
    payment_ref: str = ""


@dataclass(frozen=True)
class RefundRef:
    refund_ref: str
    payment_ref: str
    amount: Decimal


class PaymentGateway(ABC):
    """Bills (SADAD-style), their status, refunds; and the signature on the service's callbacks.

    The payment service signs each callback body with HMAC-SHA256 under a secret both sides share
    (settings.INTEGRATIONS_PAYMENT_SECRET); `verify_signature` checks it before a callback is believed.
    """

    name = "payment"

    @abstractmethod
    def create_bill(self, *, bill_number: str, amount: Decimal, currency: str, due: dt.date) -> BillRef:
        """Issue a bill; issuing the same bill number again returns the same bill."""

    @abstractmethod
    def bill_status(self, *, bill_number: str) -> BillStatus:
        """Whether the bill is paid, and how."""

    @abstractmethod
    def refund(self, *, payment_ref: str, amount: Decimal, key: str) -> RefundRef:
        """Return `amount` of a payment to the account that paid it.

        `key` names this refund: asking again with the same key (after a lost answer, say) returns the
        first refund and moves no more money."""

    def sign(self, payload: bytes) -> str:
        """The hex HMAC-SHA256 of `payload`, as the payment service sends it with a callback."""
        return hmac.new(_payment_secret(), payload, hashlib.sha256).hexdigest()

    def verify_signature(self, payload: bytes, signature: str) -> bool:
        """True only when `signature` is the payment service's signature of exactly this payload."""
        return hmac.compare_digest(self.sign(payload), (signature or "").strip().lower())


def _payment_secret() -> bytes:
    secret = getattr(settings, "INTEGRATIONS_PAYMENT_SECRET", "")
    if secret:
        return secret.encode()
    if settings.INTEGRATIONS_MODE == "fake":
        # The fake service and the platform are one process: a key derived from SECRET_KEY serves both.
        return salted_hmac("musaned.integrations.payment", "callback").digest()
    raise ImproperlyConfigured("INTEGRATIONS_PAYMENT_SECRET must be set to check payment callbacks.")


class TravelStatus(models.TextChoices):
    """Where the passports service places a worker."""

    ABROAD = "abroad", _("Abroad (not yet arrived)")
    ARRIVED = "arrived", _("Arrived in the Kingdom")
    EXITED = "exited", _("Left the Kingdom (final exit)")
    ABSENT = "absent", _("Reported absent from work")
    IMPRISONED = "imprisoned", _("In custody")
    DECEASED = "deceased", _("Deceased")


@dataclass(frozen=True)
class PassportStatus:
    passport_number: str
    status: TravelStatus
    date: dt.date | None = None


class PassportsGateway(ABC):
    name = "passports"

    @abstractmethod
    def worker_status(self, *, passport_number: str) -> PassportStatus:
        """The worker's travel status and the day it took effect."""

    @abstractmethod
    def bulk_feed(self, *, run_date: dt.date, skip: int = 0) -> Generator[str, None, None]:
        """The night's file of every worker's status, as raw CSV lines, streamed (never held whole).

        Each line is "passport_number,iqama_number,status,status_date" (replies.FEED_COLUMNS), without
        its line break; the header has been read and checked already (MalformedReply if it is wrong).
        `skip` leaves out the first lines, for a reader resuming where it stopped. The service is
        reached, and a timeout, an outage or a wrong header raised, when this is called; a connection
        lost later raises GatewayError (or GatewayTimeout) from the iteration. Close the generator to
        stop early.
        """


@dataclass(frozen=True)
class CrStatus:
    """A commercial registration as the commerce registry holds it."""

    cr_number: str
    found: bool
    valid_until: dt.date | None = None
    name: str = ""

    def is_valid(self, on: dt.date) -> bool:
        return self.found and self.valid_until is not None and self.valid_until >= on


class CommerceGateway(ABC):
    name = "commerce"

    @abstractmethod
    def cr_status(self, *, cr_number: str) -> CrStatus:
        """Look up a commercial registration (CR) number."""


class MofaGateway(ABC):
    name = "mofa"

    @abstractmethod
    def activate_visa(self, *, visa_number: str) -> str:
        """Activate an issued visa at the foreign ministry; returns the activation reference.

        Activating the same visa again returns the same reference.
        """


class InsurerGateway(ABC):
    name = "insurer"

    @abstractmethod
    def issue_policy(self, *, reference: str, amount: Decimal) -> str:
        """Insure a contract (`reference`) for `amount`; returns the policy number."""
