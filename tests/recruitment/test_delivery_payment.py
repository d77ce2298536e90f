"""Paying the contract: the bill, the signed callback, the money held in trust and the delivery clock."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from musaned.accounts.models import AuditEvent
from musaned.billing.models import Bill, BillState, PaymentNotice
from musaned.billing.services import bill_expire
from musaned.notifications.models import Notification
from recruitment.models import RequestState, TrustEntry, TrustEntryKind

from .delivery_support import (
    OFFER_DAYS,
    TOTAL,
    accepted_case,
    bank_pays,
    bill,
    paid_case,
    post_callback,
    quick_pdfs,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_pdfs(monkeypatch):
    quick_pdfs(monkeypatch)


def test_the_worker_accepting_bills_the_household_for_the_contract_with_its_formula(
    django_capture_on_commit_callbacks,
):
    case = accepted_case()
    issued = bill(case, django_capture_on_commit_callbacks)

    assert issued.amount == TOTAL and issued.vat_amount == case.contract.vat_amount
    assert issued.subject == case.contract and issued.payer == case.household.user
    assert "14,000 SAR + VAT 15% (2,100 SAR) = 16,100 SAR" in issued.formula
    assert case.fresh_contract().bill == issued
    assert Notification.objects.filter(recipient=case.household.user, event="contract_bill_issued").exists()
    # asking again while the bill is open gives the same bill
    assert bill(case, django_capture_on_commit_callbacks) == issued

    page = signed_in(case.household.user).get(case.url()).content.decode()
    assert "Pay now" in page and issued.number in page and issued.formula in page


def test_paying_holds_the_money_in_trust_and_starts_the_delivery_clock_the_day_after(
    django_capture_on_commit_callbacks,
):
    case = paid_case(django_capture_on_commit_callbacks)

    request, contract = case.fresh(), case.fresh_contract()
    assert request.state == RequestState.IN_PROCESS
    paid_on = timezone.localdate(contract.bill.paid_at)
    assert contract.paid_at == contract.bill.paid_at
    # the office promised 60 days, under the 90 the rules allow for the Philippines
    assert contract.delivery_due_on == paid_on + dt.timedelta(days=OFFER_DAYS)
    held = TrustEntry.objects.get(request=request)
    assert (held.kind, held.amount, held.key) == (TrustEntryKind.HELD, TOTAL, f"held-{contract.pk}")
    assert "The office promised 60 days; the rules allow at most 90 days" in held.formula
    assert Notification.objects.filter(recipient=case.staff, event="contract_paid_office").exists()
    assert AuditEvent.objects.filter(action="recruitment.contract_paid", target_id=str(request.pk)).exists()

    page = signed_in(case.household.user).get(case.url()).content.decode()
    assert "Money held in trust" in page and "16,100 SAR" in page and "Pay now" not in page
    assert "Foreign-ministry authorisation" in page and "The office" in page


def test_a_replayed_callback_is_one_payment_and_one_entry_in_the_ledger(django_capture_on_commit_callbacks):
    case = accepted_case()
    issued = bill(case, django_capture_on_commit_callbacks)
    body, signature = bank_pays(issued.number)

    with django_capture_on_commit_callbacks(execute=True):
        first = post_callback(Client(), body, signature).json()
        again = post_callback(Client(), body, signature).json()

    assert (first, again) == ({"status": "accepted"}, {"status": "duplicate"})
    assert TrustEntry.objects.filter(request=case.request, kind=TrustEntryKind.HELD).count() == 1
    assert PaymentNotice.objects.filter(bill=issued).count() == 2


def test_a_tampered_callback_changes_nothing(django_capture_on_commit_callbacks):
    case = accepted_case()
    issued = bill(case, django_capture_on_commit_callbacks)
    body, _signature = bank_pays(issued.number)

    response = post_callback(Client(), body, "0" * 64)

    assert response.status_code == 403
    assert case.fresh().state == RequestState.AWAITING_PAYMENT
    assert not TrustEntry.objects.exists()


def test_a_lapsed_bill_can_be_replaced_from_the_case_page(django_capture_on_commit_callbacks):
    case = accepted_case()
    first = bill(case, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert bill_expire(bill_id=first.pk, now=first.due_at + dt.timedelta(minutes=1))
    assert Notification.objects.filter(event="contract_bill_expired").exists()
    client = signed_in(case.household.user)
    assert "Get a new bill" in client.get(case.url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(case.url("rebill"))

    second = case.fresh_contract().bill
    assert second != first and second.state == BillState.OPEN
    assert response.url.startswith(f"/payments/bills/{second.number}/pay/")
    assert Bill.objects.get(pk=first.pk).state == BillState.EXPIRED


def test_paying_through_the_demo_bank_comes_back_to_the_case(django_capture_on_commit_callbacks):
    case = accepted_case()
    issued = bill(case, django_capture_on_commit_callbacks)
    client = signed_in(case.household.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/payments/bills/{issued.number}/pay/", {"next": case.url()})

    assert response.url == case.url()
    assert case.fresh().state == RequestState.IN_PROCESS
