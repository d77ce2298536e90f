"""Two deliveries of the same payment at the same moment: one payment, on a database with row locks."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from musaned.billing.models import Bill, BillState, NoticeOutcome, PaymentNotice, Refund
from musaned.billing.services import refund_request
from musaned.integrations.models import FakeBill
from tests.concurrency import at_once

from .conftest import FEE, bank_pays, post_callback

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (bash .ci/run)"),
    # serialized_rollback: the seeded rule sets come back after each test empties the tables
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_same_callback_posted_twice_at_once_is_one_payment(bill, paid_signals):
    body, signature = bank_pays(bill.number)

    answers, errors = at_once(*[lambda: post_callback(Client(), body, signature).json()["status"]] * 2)

    assert errors == []
    assert sorted(answers) == ["accepted", "duplicate"]
    assert Bill.objects.get(pk=bill.pk).state == BillState.PAID
    assert len(paid_signals) == 1
    assert sorted(PaymentNotice.objects.values_list("outcome", flat=True)) == [
        NoticeOutcome.ACCEPTED,
        NoticeOutcome.DUPLICATE,
    ]


def test_the_same_refund_asked_for_twice_at_once_is_one_refund(bill, refund_signals):
    body, signature = bank_pays(bill.number)
    assert post_callback(Client(), body, signature).json() == {"status": "accepted"}
    paid = Bill.objects.get(pk=bill.pk)

    def ask():
        return refund_request(
            bill=paid,
            amount=FEE,
            reason="Visa cancelled unused",
            formula="the visa fee in full",
            idempotency_key=f"visa-cancel-{paid.pk}",
            actor=None,
        ).pk

    refund_ids, errors = at_once(ask, ask)

    assert errors == []
    assert len(set(refund_ids)) == 1
    assert Refund.objects.count() == 1
    assert Bill.objects.get(pk=bill.pk).refunded_amount == FEE
    assert FakeBill.objects.get().refunded == FEE
    assert len(refund_signals) == 1
    assert Bill.objects.get(pk=bill.pk).refundable_amount == Decimal("0")
