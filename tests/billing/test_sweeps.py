"""The scheduled sweeps: payments whose notice never came, and bills left unpaid past their due time."""

import datetime as dt

import pytest
from django.utils import timezone

from musaned.billing.models import BillState, NoticeOutcome, PaymentNotice
from musaned.billing.services import bill_expire_overdue, bill_reconcile
from musaned.billing.tasks import expire_overdue_bills, reconcile_bills
from musaned.integrations.base import gateway

from .conftest import FEE, fresh

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(days=4)


def test_reconciliation_records_a_payment_whose_callback_never_came(
    bill, paid_signals, django_capture_on_commit_callbacks
):
    gateway("payment").pay(bill_number=bill.number)  # paid at the bank; the callback was lost

    with django_capture_on_commit_callbacks(execute=True):
        assert bill_reconcile(older_than=dt.timedelta(0)) == 1

    paid = fresh(bill)
    assert (paid.state, paid.paid_amount) == (BillState.PAID, FEE)
    assert paid_signals == [paid]
    notice = PaymentNotice.objects.get()
    assert (notice.source, notice.outcome) == ("reconciliation", NoticeOutcome.ACCEPTED)
    assert bill_reconcile(older_than=dt.timedelta(0)) == 0  # no longer open: not asked about again


def test_reconciliation_leaves_young_and_unpaid_bills_alone(bill, household, issue_bill):
    gateway("payment").pay(bill_number=bill.number)

    assert bill_reconcile() == 0  # issued a moment ago: its callback may still come
    assert fresh(bill).state == BillState.OPEN
    assert bill_reconcile(older_than=dt.timedelta(0)) == 1
    unpaid = issue_bill(household)
    assert bill_reconcile(older_than=dt.timedelta(0)) == 0
    assert fresh(unpaid).state == BillState.OPEN


def test_reconciliation_skips_bills_while_the_payment_service_is_down(settings, bill, caplog):
    gateway("payment").pay(bill_number=bill.number)
    settings.INTEGRATIONS_FAKE_FAILURES = {"payment": "error"}

    assert bill_reconcile(older_than=dt.timedelta(0)) == 0

    assert fresh(bill).state == BillState.OPEN
    assert "could not report on bill" in caplog.text
    settings.INTEGRATIONS_FAKE_FAILURES = {}
    assert bill_reconcile(older_than=dt.timedelta(0)) == 1


def test_the_scheduled_reconciliation_task_runs_the_sweep(bill, monkeypatch):
    gateway("payment").pay(bill_number=bill.number)
    later = timezone.now() + dt.timedelta(minutes=31)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert reconcile_bills() == 1
    assert fresh(bill).state == BillState.PAID


def test_an_unpaid_bill_past_its_due_time_expires_once(bill, household, issue_bill, expired_signals):
    not_due = issue_bill(household, due_in=dt.timedelta(days=10))

    assert bill_expire_overdue(now=timezone.now() + LATER) == 1
    assert bill_expire_overdue(now=timezone.now() + LATER) == 0

    expired = fresh(bill)
    assert expired.state == BillState.EXPIRED
    assert expired_signals == [expired]
    assert fresh(not_due).state == BillState.OPEN


def test_a_bill_paid_in_time_whose_notice_was_lost_is_recorded_paid_not_expired(
    bill, expired_signals, paid_signals
):
    gateway("payment").pay(bill_number=bill.number)

    assert bill_expire_overdue(now=timezone.now() + LATER) == 0

    assert fresh(bill).state == BillState.PAID
    assert expired_signals == [] and len(paid_signals) == 1


def test_bills_do_not_expire_while_the_payment_service_cannot_say_whether_they_were_paid(
    settings, bill, expired_signals
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"payment": "timeout"}

    assert bill_expire_overdue(now=timezone.now() + LATER) == 0
    assert fresh(bill).state == BillState.OPEN

    settings.INTEGRATIONS_FAKE_FAILURES = {}
    assert bill_expire_overdue(now=timezone.now() + LATER) == 1
    assert len(expired_signals) == 1


def test_a_bill_the_payment_service_never_registered_expires(settings, household, issue_bill):
    settings.INTEGRATIONS_FAKE_FAILURES = {"payment": "error"}
    bill = issue_bill(household)
    settings.INTEGRATIONS_FAKE_FAILURES = {}

    assert bill_expire_overdue(now=timezone.now() + LATER) == 1
    assert fresh(bill).state == BillState.EXPIRED


def test_the_scheduled_expiry_task_runs_the_sweep(bill, monkeypatch):
    later = timezone.now() + LATER
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert expire_overdue_bills() == 1
    assert fresh(bill).state == BillState.EXPIRED


def test_a_reported_payment_of_the_wrong_amount_is_refused_once_and_does_not_keep_the_bill_open(
    bill, paid_signals
):
    gateway("payment").pay(bill_number=bill.number, amount=FEE - 1)

    assert bill_reconcile(older_than=dt.timedelta(0)) == 0
    assert bill_reconcile(older_than=dt.timedelta(0)) == 0

    notice = PaymentNotice.objects.get()  # one notice for a person to look at, not one per run
    assert (notice.outcome, notice.source) == (NoticeOutcome.REJECTED, "reconciliation")
    assert notice.reason.startswith("wrong_amount")
    assert fresh(bill).state == BillState.OPEN

    assert bill_expire_overdue(now=timezone.now() + LATER) == 1
    assert fresh(bill).state == BillState.EXPIRED
    assert paid_signals == [] and PaymentNotice.objects.count() == 1
