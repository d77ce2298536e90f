"""The fakes answer as their docstrings promise, so the demo and other tests can rely on them."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from musaned.integrations.base import GatewayError, GatewayTimeout, gateway
from musaned.integrations.interfaces import TravelStatus
from musaned.integrations.models import FakeBill, FakeOutbox
from musaned.integrations.replies import parse_bill_status

pytestmark = pytest.mark.django_db

DOB = dt.date(1985, 3, 14)


@pytest.mark.parametrize(
    ("national_id", "found", "dob_matches", "disability"),
    [
        ("1000012345", False, False, False),
        ("2000012345", False, False, False),
        ("1000112345", True, False, False),
        ("1234512345", True, True, False),
        ("1234592345", True, True, True),
    ],
)
def test_identity_answers(national_id, found, dob_matches, disability):
    record = gateway("identity").verify(national_id=national_id, date_of_birth=DOB)
    assert (record.found, record.date_of_birth_matches, record.has_registered_disability) == (
        found,
        dob_matches,
        disability,
    )


def test_sms_and_email_land_in_the_outbox():
    sms_id = gateway("sms").send(to="+966551234567", text="code 123456")
    email_id = gateway("email").send(to="a@example.sa", subject="Hello", body="Body")

    sms, email = FakeOutbox.objects.get(channel="sms"), FakeOutbox.objects.get(channel="email")
    assert (sms.to, sms.body, sms.provider_id) == ("+966551234567", "code 123456", sms_id)
    assert (email.to, email.subject, email.body, email.provider_id) == (
        "a@example.sa",
        "Hello",
        "Body",
        email_id,
    )


def test_a_bill_is_issued_once_per_number():
    payment = gateway("payment")
    due = dt.date(2026, 12, 31)
    first = payment.create_bill(bill_number="V-1", amount=Decimal("2000"), currency="SAR", due=due)
    again = payment.create_bill(bill_number="V-1", amount=Decimal("999"), currency="SAR", due=due)

    assert first == again
    assert first.amount == Decimal("2000.00") and first.due == due and first.currency == "SAR"
    assert first.reference.startswith("SADAD") and len(first.reference) == 17
    assert FakeBill.objects.count() == 1


def test_a_bill_is_unpaid_until_paid_then_refundable_up_to_what_was_paid():
    payment = gateway("payment")
    payment.create_bill(
        bill_number="V-2", amount=Decimal("172.50"), currency="SAR", due=dt.date(2026, 12, 31)
    )
    assert payment.bill_status(bill_number="V-2").paid is False

    paid = payment.pay(bill_number="V-2")
    status = payment.bill_status(bill_number="V-2")
    assert status == paid
    assert status.paid and status.paid_amount == Decimal("172.50") and status.payment_ref.startswith("PAY")
    assert status.paid_at <= timezone.now()
    assert payment.pay(bill_number="V-2") == paid  # paying again changes nothing

    refund = payment.refund(payment_ref=status.payment_ref, amount=Decimal("100"), key="r1")
    assert (refund.payment_ref, refund.amount) == (status.payment_ref, Decimal("100.00"))
    payment.refund(payment_ref=status.payment_ref, amount=Decimal("72.50"), key="r2")
    with pytest.raises(GatewayError) as excinfo:
        payment.refund(payment_ref=status.payment_ref, amount=Decimal("0.01"), key="r3")
    assert excinfo.value.retryable is False


def test_a_refund_whose_answer_was_lost_is_not_paid_twice_when_asked_again(settings):
    payment = gateway("payment")
    payment.create_bill(
        bill_number="V-9", amount=Decimal("172.50"), currency="SAR", due=dt.date(2026, 12, 31)
    )
    payment_ref = payment.pay(bill_number="V-9").payment_ref

    settings.INTEGRATIONS_FAKE_FAILURES = {"payment": "lost_reply"}
    with pytest.raises(GatewayTimeout):
        payment.refund(payment_ref=payment_ref, amount=Decimal("100"), key="refund-1")
    assert FakeBill.objects.get().refunded == Decimal("100")  # the money moved all the same

    settings.INTEGRATIONS_FAKE_FAILURES = {}
    again = payment.refund(payment_ref=payment_ref, amount=Decimal("100"), key="refund-1")
    other = payment.refund(payment_ref=payment_ref, amount=Decimal("50"), key="refund-2")

    assert again.amount == Decimal("100") and again.refund_ref != other.refund_ref
    assert FakeBill.objects.get().refunded == Decimal("150")


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.create_bill(
            bill_number="V-3", amount=Decimal("0"), currency="SAR", due=dt.date(2026, 1, 1)
        ),
        lambda p: p.bill_status(bill_number="never-issued"),
        lambda p: p.refund(payment_ref="PAY-UNKNOWN", amount=Decimal("1"), key="r4"),
        lambda p: p.refund(payment_ref="", amount=Decimal("1"), key="r5"),
    ],
    ids=["zero amount", "unknown bill", "unknown payment", "no payment"],
)
def test_the_payment_service_refuses_bad_requests_for_good(call):
    with pytest.raises(GatewayError) as excinfo:
        call(gateway("payment"))
    assert excinfo.value.retryable is False


def test_the_payment_callback_is_signed_and_tampering_shows():
    payment = gateway("payment")
    payment.create_bill(bill_number="V-4", amount=Decimal("2000"), currency="SAR", due=dt.date(2026, 12, 31))
    payment.pay(bill_number="V-4")

    body, signature = payment.callback(bill_number="V-4")
    assert payment.verify_signature(body, signature)
    assert parse_bill_status(json.loads(body)).paid_amount == Decimal("2000.00")

    tampered = body.replace(b"2000.00", b"20.00")
    assert not payment.verify_signature(tampered, signature)
    assert not payment.verify_signature(body, "")


def test_the_callback_secret_comes_from_settings(settings):
    payment = gateway("payment")
    settings.INTEGRATIONS_PAYMENT_SECRET = "shared-with-the-bank"
    signed_with_setting = payment.sign(b"{}")
    settings.INTEGRATIONS_PAYMENT_SECRET = "another"
    assert payment.sign(b"{}") != signed_with_setting
    assert not payment.verify_signature(b"{}", signed_with_setting)


@pytest.mark.parametrize(
    ("passport_number", "status"),
    [
        ("P1234560", TravelStatus.ABROAD),
        ("P123456A", TravelStatus.ABROAD),
        ("P1234561", TravelStatus.ARRIVED),
        ("P1234565", TravelStatus.ARRIVED),
        ("P1234566", TravelStatus.EXITED),
        ("P1234567", TravelStatus.ABSENT),
        ("P1234568", TravelStatus.IMPRISONED),
        ("P1234569", TravelStatus.DECEASED),
    ],
)
def test_passport_status_follows_the_last_digit(passport_number, status):
    answer = gateway("passports").worker_status(passport_number=passport_number)
    assert answer.passport_number == passport_number
    assert answer.status == status
    assert answer.date == (None if status == TravelStatus.ABROAD else timezone.localdate())


def test_commercial_registrations():
    commerce, today = gateway("commerce"), timezone.localdate()
    unknown = commerce.cr_status(cr_number="1010123450")
    expired = commerce.cr_status(cr_number="1010123459")
    valid = commerce.cr_status(cr_number="1010123451")

    assert not unknown.found and not unknown.is_valid(today)
    assert (
        expired.found and expired.valid_until == today - dt.timedelta(days=30) and not expired.is_valid(today)
    )
    assert valid.is_valid(today) and valid.valid_until == today + dt.timedelta(days=365)
    assert valid.name == "مكتب استقدام 3451"


def test_visa_activation_is_repeatable():
    mofa = gateway("mofa")
    first = mofa.activate_visa(visa_number="4000000001")
    assert first.startswith("MOFA-") and len(first) == 15
    assert mofa.activate_visa(visa_number="4000000001") == first
    assert mofa.activate_visa(visa_number="4000000002") != first


def test_insurance_policies():
    insurer = gateway("insurer")
    policy = insurer.issue_policy(reference="C-1", amount=Decimal("350"))
    assert policy.startswith("POL-") and policy == insurer.issue_policy(
        reference="C-1", amount=Decimal("350.00")
    )
    with pytest.raises(GatewayError) as excinfo:
        insurer.issue_policy(reference="C-1", amount=Decimal("0"))
    assert excinfo.value.retryable is False
