"""Refunds: never more than was paid, never twice, and sent through the payment service until it answers."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent
from musaned.billing.models import BillState, Refund, RefundState
from musaned.billing.services import refund_request
from musaned.billing.tasks import refund_send
from musaned.integrations.base import GatewayError
from musaned.integrations.models import FakeBill, GatewayCall
from musaned.integrations.tasks import GatewayTask

from .conftest import FEE, bank_pays, fresh, post_callback

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_bill(client, bill, django_capture_on_commit_callbacks):
    body, signature = bank_pays(bill.number)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_callback(client, body, signature).json() == {"status": "accepted"}
    return fresh(bill)


def ask(bill, amount, key="visa-cancel-1", actor=None):
    return refund_request(
        bill=bill,
        amount=Decimal(amount),
        reason="Visa cancelled unused",
        formula=f"{amount} SAR: the visa fee in full",
        idempotency_key=key,
        actor=actor,
    )


def test_a_refund_goes_back_through_the_payment_service(
    paid_bill, refund_signals, django_capture_on_commit_callbacks
):
    actor = Actor.direct(paid_bill.payer)
    with django_capture_on_commit_callbacks(execute=True):
        refund = ask(paid_bill, "2300.00", actor=actor)

    refund = Refund.objects.get(pk=refund.pk)
    assert refund.state == RefundState.SENT and refund.gateway_ref and refund.completed_at
    assert refund.payment_ref == paid_bill.payment_ref
    assert refund_signals == [refund]
    assert FakeBill.objects.get().refunded == FEE
    assert fresh(paid_bill).refunded_amount == FEE and fresh(paid_bill).refundable_amount == 0
    requested = AuditEvent.objects.get(action="billing.refund_requested")
    assert requested.actor == paid_bill.payer


def test_more_than_was_paid_is_refused_and_nothing_changes(paid_bill, django_capture_on_commit_callbacks):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        ask(paid_bill, "2300.01")

    assert "At most 2,300 SAR of this bill can still be refunded." in refused.value.messages
    assert not Refund.objects.exists()
    assert fresh(paid_bill).refunded_amount == 0


def test_partial_refunds_add_up_to_what_was_paid_and_no_further(
    paid_bill, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask(paid_bill, "2000.00", key="part-1")
        ask(paid_bill, "300.00", key="part-2")

    with pytest.raises(ValidationError):
        ask(paid_bill, "0.01", key="part-3")
    assert FakeBill.objects.get().refunded == FEE
    assert Refund.objects.filter(state=RefundState.SENT).count() == 2


def test_asking_again_with_the_same_key_refunds_once(
    paid_bill, refund_signals, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = ask(paid_bill, "2300.00")
    with django_capture_on_commit_callbacks(execute=True):
        again = ask(paid_bill, "2300.00")  # a second click, a redelivered task

    assert again.pk == first.pk
    assert Refund.objects.count() == 1
    assert FakeBill.objects.get().refunded == FEE
    assert fresh(paid_bill).refunded_amount == FEE
    assert len(refund_signals) == 1


def test_a_sent_refund_is_not_sent_again(paid_bill, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        refund = ask(paid_bill, "100.00")

    refund_send.delay(refund.pk)  # the task delivered twice

    assert FakeBill.objects.get().refunded == Decimal("100.00")


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_a_refund_is_for_more_than_zero(paid_bill, amount):
    with pytest.raises(ValidationError):
        ask(paid_bill, amount)
    assert not Refund.objects.exists()


def test_an_unpaid_bill_cannot_be_refunded(bill):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        ask(bill, "100.00")
    assert "Only a paid bill can be refunded." in refused.value.messages
    assert fresh(bill).state == BillState.OPEN


def test_an_outage_leaves_the_refund_waiting_and_the_next_attempt_sends_it(
    settings, paid_bill, refund_signals
):
    refund = ask(paid_bill, "2300.00")  # its task is not run here: attempts are made by hand below
    settings.INTEGRATIONS_FAKE_FAILURES = {"payment": "error"}

    with pytest.raises(GatewayError):
        refund_send(refund.pk)  # one attempt, run in place

    waiting = Refund.objects.get(pk=refund.pk)
    assert (waiting.state, waiting.attempts) == (RefundState.REQUESTED, 1)
    assert "503" in waiting.last_error and waiting.claimed_until is None
    assert refund_signals == []

    settings.INTEGRATIONS_FAKE_FAILURES = {}
    refund_send(refund.pk)
    sent = Refund.objects.get(pk=refund.pk)
    assert (sent.state, sent.attempts, sent.last_error) == (RefundState.SENT, 2, "")
    assert FakeBill.objects.get().refunded == FEE
    assert len(refund_signals) == 1


def test_a_payment_service_that_stays_down_is_retried_then_the_refund_fails_and_can_be_asked_again(
    settings, paid_bill, refund_signals, django_capture_on_commit_callbacks
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"payment": "timeout"}

    with django_capture_on_commit_callbacks(execute=True):
        refund = ask(paid_bill, "2300.00")

    attempts = GatewayTask.max_retries + 1
    failed = Refund.objects.get(pk=refund.pk)
    assert (failed.state, failed.attempts) == (RefundState.FAILED, attempts)
    assert GatewayCall.objects.filter(operation="refund", outcome="timeout").count() == attempts
    assert refund_signals == []
    assert FakeBill.objects.get().refunded == 0
    assert fresh(paid_bill).refundable_amount == FEE  # the money never left: it can be asked for again
    assert AuditEvent.objects.filter(action="billing.refund_failed").count() == 1

    settings.INTEGRATIONS_FAKE_FAILURES = {}
    with django_capture_on_commit_callbacks(execute=True):
        ask(paid_bill, "2300.00", key="visa-cancel-1-again")
    assert FakeBill.objects.get().refunded == FEE


def test_a_refund_whose_task_was_lost_is_sent_by_the_sweep(paid_bill, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from musaned.billing.tasks import reconcile_bills

    refund = ask(paid_bill, "2300.00")  # committed, but its task never reached a worker
    later = timezone.now() + dt.timedelta(hours=3)
    monkeypatch.setattr(timezone, "now", lambda: later)

    reconcile_bills()

    assert Refund.objects.get(pk=refund.pk).state == RefundState.SENT
    assert FakeBill.objects.get().refunded == FEE


def test_answers_lost_on_every_attempt_still_move_the_money_only_once(
    paid_bill, settings, django_capture_on_commit_callbacks
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"payment": "lost_reply"}

    with django_capture_on_commit_callbacks(execute=True):
        refund = ask(paid_bill, "10.00")

    assert (
        GatewayCall.objects.filter(gateway="payment", operation="refund").count()
        == GatewayTask.max_retries + 1
    )
    assert FakeBill.objects.get().refunded == Decimal("10.00")  # each retry named the same refund
    assert Refund.objects.get(pk=refund.pk).state == RefundState.FAILED
