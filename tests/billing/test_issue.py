"""Issuing a bill: an unguessable number, the amount from the caller, registered with the payment service."""

import datetime as dt
from decimal import Decimal

import pytest

from musaned.accounts.models import AuditEvent
from musaned.billing import services
from musaned.billing.models import Bill, BillState
from musaned.billing.services import bill_reconcile
from musaned.integrations.models import FakeBill

from .conftest import FEE, FORMULA, VAT, fresh

pytestmark = pytest.mark.django_db


def test_a_bill_gets_a_twelve_digit_number_and_is_registered_with_the_payment_service(household, issue_bill):
    bill = issue_bill(household)

    assert len(bill.number) == 12 and bill.number.isdigit() and bill.number[0] != "0"
    assert (bill.amount, bill.vat_amount, bill.formula, bill.currency) == (FEE, VAT, FORMULA, "SAR")
    assert bill.state == BillState.OPEN and bill.payer == household.user and bill.subject == household
    at_gateway = FakeBill.objects.get(bill_number=bill.number)
    assert (at_gateway.amount, at_gateway.currency) == (FEE, "SAR")
    bill = fresh(bill)
    assert bill.gateway_reference == at_gateway.reference and bill.registered_at is not None
    assert AuditEvent.objects.filter(action="billing.bill_issued", target_id=str(bill.pk)).exists()


def test_bill_numbers_are_unique_and_not_sequential(household, issue_bill):
    numbers = sorted(int(issue_bill(household).number) for _ in range(12))

    assert len(set(numbers)) == 12
    gaps = {later - earlier for earlier, later in zip(numbers, numbers[1:], strict=False)}
    assert gaps != {1}
    assert FakeBill.objects.count() == 12


def test_a_number_already_taken_is_drawn_again(household, issue_bill, monkeypatch):
    taken = issue_bill(household).number
    draws = iter([taken, "987654321012"])
    monkeypatch.setattr(services, "new_bill_number", lambda: next(draws))

    bill = issue_bill(household)

    assert bill.number == "987654321012"
    assert Bill.objects.count() == 2


def test_registering_twice_keeps_the_first_registration(bill):
    services.bill_register_at_gateway(bill_id=bill.pk)

    assert FakeBill.objects.count() == 1
    assert fresh(bill).gateway_reference == FakeBill.objects.get().reference


def test_a_bill_is_for_more_than_zero(household, issue_bill):
    with pytest.raises(ValueError):
        issue_bill(household, amount=Decimal("0"), vat=Decimal("0"))
    assert not Bill.objects.exists()


def test_while_the_payment_service_is_down_the_bill_waits_and_is_registered_later(
    settings, household, issue_bill
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"payment": "timeout"}
    bill = issue_bill(household)

    assert bill.state == BillState.OPEN and fresh(bill).registered_at is None
    assert not FakeBill.objects.exists()

    settings.INTEGRATIONS_FAKE_FAILURES = {}
    assert bill_reconcile(older_than=dt.timedelta(0)) == 0  # nothing paid; the lost registration is redone
    assert fresh(bill).gateway_reference == FakeBill.objects.get(bill_number=bill.number).reference


def test_an_unpaid_bill_can_be_cancelled_and_a_cancelled_bill_stays_cancelled(bill):
    services.bill_cancel(bill=bill, actor=None)
    services.bill_cancel(bill=bill, actor=None)

    assert fresh(bill).state == BillState.CANCELLED
    assert AuditEvent.objects.filter(action="billing.bill_cancelled").count() == 1
