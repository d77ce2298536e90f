import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from musaned.billing.models import BillPurpose
from musaned.billing.services import bill_issue
from musaned.billing.signals import bill_expired, bill_paid, refund_completed
from musaned.integrations.base import gateway
from musaned.policy.services import rules_in_force
from tests.factories import HouseholdFactory

CALLBACK = "billing:callback"
FEE = Decimal("2300.00")
VAT = Decimal("300.00")
FORMULA = "2,000 SAR visa fee + 15% VAT (300 SAR)"
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def household(db):
    return HouseholdFactory()


@pytest.fixture
def payer(household):
    return household.user


@pytest.fixture
def issue_bill(django_capture_on_commit_callbacks):
    """Issue a visa-fee bill as the visa service does; registration with the payment service runs too."""

    def issue(household, *, amount=FEE, vat=VAT, purpose=BillPurpose.VISA_FEE, due_in=dt.timedelta(days=3)):
        with django_capture_on_commit_callbacks(execute=True):
            return bill_issue(
                payer=household.user,
                subject=household,
                purpose=purpose,
                amount=amount,
                vat_amount=vat,
                formula=FORMULA,
                rule_set=rules_in_force(on=timezone.localdate()),
                due_in=due_in,
            )

    return issue


@pytest.fixture
def bill(household, issue_bill):
    return issue_bill(household)


def _listen(signal, key):
    """Connect a receiver that keeps what each sending passed as `key`."""
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs[key])

    signal.connect(receiver, weak=False)
    return received, lambda: signal.disconnect(receiver)


@pytest.fixture
def paid_signals():
    received, stop = _listen(bill_paid, "bill")
    yield received
    stop()


@pytest.fixture
def expired_signals():
    received, stop = _listen(bill_expired, "bill")
    yield received
    stop()


@pytest.fixture
def refund_signals():
    received, stop = _listen(refund_completed, "refund")
    yield received
    stop()


def bank_pays(bill_number: str, amount=None) -> tuple[bytes, str]:
    """The payer pays at the bank: the fake payment service records it and gives its signed callback."""
    payment = gateway("payment")
    payment.pay(bill_number=bill_number, amount=amount)
    return payment.callback(bill_number=bill_number)


def signed(payload: dict) -> tuple[bytes, str]:
    """A body signed with the payment service's own key, to check what the platform does with it."""
    body = json.dumps(payload, sort_keys=True).encode()
    return body, gateway("payment").sign(body)


def post_callback(client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_X_PAYMENT_SIGNATURE": signature}
    return client.post(reverse(CALLBACK), data=body, content_type="application/json", **headers)


def fresh(bill):
    return type(bill).objects.get(pk=bill.pk)


def sign_in(client, user, language: str = "en"):
    client.force_login(user, backend=LOGIN_BACKEND)
    client.cookies["django_language"] = language
    return client
