"""The payment service's callback: believed only when signed, recorded once, and checked against the bill."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from musaned.billing.models import BillState, NoticeOutcome, PaymentNotice, Refund, RefundState
from musaned.billing.services import bill_expire_overdue
from musaned.documents.models import Document
from musaned.integrations.models import FakeBill
from musaned.notifications.models import Notification

from .conftest import FEE, bank_pays, fresh, post_callback, signed

pytestmark = pytest.mark.django_db


def paid_payload(bill, **overrides) -> dict:
    payload = {
        "bill_number": bill.number,
        "status": "paid",
        "paid_amount": f"{bill.amount:.2f}",
        "paid_at": timezone.now().isoformat(),
        "payment_ref": "PAYTEST0000000001",
    }
    payload.update(overrides)
    return payload


def assert_still_open(bill):
    bill = fresh(bill)
    assert (bill.state, bill.paid_amount, bill.payment_ref, bill.paid_at) == (
        BillState.OPEN,
        None,
        None,
        None,
    )


def test_a_signed_callback_pays_the_bill_once_and_its_receipt_is_printed(
    client, bill, paid_signals, django_capture_on_commit_callbacks
):
    body, signature = bank_pays(bill.number)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_callback(client, body, signature)

    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    paid = fresh(bill)
    assert paid.state == BillState.PAID
    assert paid.paid_amount == FEE
    assert paid.payment_ref == FakeBill.objects.get().payment_ref
    assert paid_signals == [paid]
    notice = PaymentNotice.objects.get()
    assert (notice.outcome, notice.source, notice.bill) == (NoticeOutcome.ACCEPTED, "callback", paid)
    assert notice.payload == json.loads(body)
    assert Document.objects.filter(kind="receipt", subject_id=str(bill.pk)).count() == 1


def test_the_same_callback_twice_is_one_payment(
    client, bill, paid_signals, django_capture_on_commit_callbacks
):
    body, signature = bank_pays(bill.number)

    with django_capture_on_commit_callbacks(execute=True):
        first = post_callback(client, body, signature)
        again = post_callback(client, body, signature)

    assert (first.status_code, first.json()) == (200, {"status": "accepted"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert len(paid_signals) == 1
    assert list(PaymentNotice.objects.order_by("id").values_list("outcome", flat=True)) == [
        NoticeOutcome.ACCEPTED,
        NoticeOutcome.DUPLICATE,
    ]
    assert Document.objects.filter(kind="receipt").count() == 1


@pytest.mark.parametrize(
    "signature", [None, "", "0" * 64, "not-a-signature"], ids=["missing", "empty", "zeros", "garbage"]
)
def test_a_callback_without_a_good_signature_is_refused_and_changes_nothing(
    client, bill, paid_signals, signature
):
    body, _good = bank_pays(bill.number)

    response = post_callback(client, body, signature)

    assert response.status_code == 403
    assert response.json() == {"status": "rejected", "reason": "bad_signature"}
    assert_still_open(bill)
    assert paid_signals == []
    notice = PaymentNotice.objects.get()
    assert notice.outcome == NoticeOutcome.REJECTED and notice.reason.startswith("bad_signature")
    assert notice.bill is None and notice.bill_number == ""  # nothing in the body was believed


def test_a_tampered_body_with_the_original_signature_is_refused(client, household, issue_bill, paid_signals):
    cheap = issue_bill(household, amount=Decimal("172.50"), vat=Decimal("22.50"))
    dear = issue_bill(household)
    body, signature = bank_pays(cheap.number)
    tampered = body.replace(cheap.number.encode(), dear.number.encode())

    response = post_callback(client, tampered, signature)

    assert response.status_code == 403
    assert_still_open(dear)
    assert_still_open(cheap)
    assert paid_signals == []


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"paid_amount": "2000.00"}, "wrong_amount"),
        ({"paid_amount": "23000.00"}, "wrong_amount"),
        ({"currency": "USD"}, "wrong_currency"),
        ({"bill_number": "123456789012"}, "unknown_bill"),
    ],
)
def test_a_signed_callback_that_does_not_match_the_bill_is_refused_and_changes_nothing(
    client, bill, paid_signals, overrides, reason
):
    body, signature = signed(paid_payload(bill, **overrides))

    response = post_callback(client, body, signature)

    assert response.status_code == 409
    assert response.json() == {"status": "rejected", "reason": reason}
    assert_still_open(bill)
    assert paid_signals == []
    notice = PaymentNotice.objects.get()
    assert notice.outcome == NoticeOutcome.REJECTED and notice.reason.startswith(reason)
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        json.dumps({"bill_number": "1", "status": "paid"}).encode(),
        json.dumps({"bill_number": "1", "status": "paid", "paid_amount": 2300.0}).encode(),
    ],
    ids=["broken", "not-utf8", "array", "missing-fields", "float-amount"],
)
def test_a_signed_body_that_cannot_be_read_is_a_bad_request(client, bill, body):
    from musaned.integrations.base import gateway

    response = post_callback(client, body, gateway("payment").sign(body))

    assert response.status_code == 400
    assert response.json() == {"status": "rejected", "reason": "malformed"}
    assert_still_open(bill)
    assert PaymentNotice.objects.get().outcome == NoticeOutcome.REJECTED


def test_a_notice_that_reports_no_payment_changes_nothing(client, bill):
    body, signature = signed({"bill_number": bill.number, "status": "unpaid"})

    response = post_callback(client, body, signature)

    assert response.status_code == 400
    assert response.json()["reason"] == "not_paid"
    assert_still_open(bill)


def test_only_post_is_accepted(client):
    assert client.get(reverse("billing:callback")).status_code == 405


def test_the_callback_needs_no_session_or_csrf_token(bill, django_capture_on_commit_callbacks):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    body, signature = bank_pays(bill.number)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_callback(strict, body, signature)

    assert response.status_code == 200


def test_money_paid_for_an_expired_bill_is_refused_and_sent_back_once(
    client, bill, paid_signals, django_capture_on_commit_callbacks
):
    # the payer paid at the bank after the due time, once the platform had already closed the bill
    with django_capture_on_commit_callbacks(execute=True):
        assert bill_expire_overdue(now=timezone.now() + dt.timedelta(days=4)) == 1
    body, signature = bank_pays(bill.number)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_callback(client, body, signature)
        replay = post_callback(client, body, signature)

    assert response.status_code == 409
    assert response.json()["reason"] == "bill_closed"
    assert replay.status_code == 409
    closed = fresh(bill)
    assert (closed.state, closed.paid_amount, closed.refunded_amount) == (
        BillState.EXPIRED,
        None,
        Decimal("0"),
    )
    assert paid_signals == []
    refund = Refund.objects.get()
    assert (refund.state, refund.amount, refund.unaccepted_payment) == (RefundState.SENT, FEE, True)
    assert FakeBill.objects.get().refunded == FEE
    returned = Notification.objects.get(recipient=bill.payer, event="payment_returned")
    assert bill.number in returned.body
