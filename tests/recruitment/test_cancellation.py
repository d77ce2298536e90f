"""Cancelling: free before payment, a fee by stage after it; the office's own cancellation costs a penalty."""

from decimal import Decimal

import pytest

from musaned.billing.models import Bill, BillState, Refund
from musaned.notifications.models import Notification
from recruitment.models import MilestoneKind, OfficeAssignment, RequestState, TrustEntry, TrustEntryKind

from .delivery_support import (
    TOTAL,
    accepted_case,
    arrived_case,
    bill,
    paid_case,
    quick_pdfs,
    report_up_to,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_pdfs(monkeypatch):
    quick_pdfs(monkeypatch)


def cancel(client, case, capture, name="cancel"):
    with capture(execute=True):
        return client.post(case.url(name), {"reason": "We changed our plans"}, follow=True)


def entries(case, kind):
    return [entry.amount for entry in TrustEntry.objects.filter(request=case.request, kind=kind)]


def test_before_payment_cancelling_is_free_and_the_open_bill_is_withdrawn(django_capture_on_commit_callbacks):
    case = accepted_case()
    issued = bill(case, django_capture_on_commit_callbacks)
    OfficeAssignment.objects.create(request=case.request, office=case.office, answer_due_at=issued.due_at)
    household = signed_in(case.household.user)

    confirm = household.get(case.url("cancel")).content.decode()
    assert "Nothing has been paid yet, so cancelling is free." in confirm
    cancel(household, case, django_capture_on_commit_callbacks)

    assert case.fresh().state == RequestState.CANCELLED
    assert Bill.objects.get(pk=issued.pk).state == BillState.CANCELLED
    assert not Refund.objects.exists() and not TrustEntry.objects.exists()
    assert OfficeAssignment.objects.get(request=case.request).outcome == OfficeAssignment.Outcome.WITHDRAWN
    assert Notification.objects.filter(recipient=case.staff, event="delivery_cancelled_office").exists()


@pytest.mark.parametrize(
    ("reached", "fee", "words"),
    [
        (None, Decimal("700.00"), "after payment, before any step: fee 5%"),
        (
            MilestoneKind.MEDICAL_CHECK,
            Decimal("1400.00"),
            "after the foreign-ministry authorisation: fee 10%",
        ),
        (MilestoneKind.FLIGHT_BOOKED, Decimal("2100.00"), "after the embassy stamping: fee 15%"),
    ],
)
def test_after_payment_the_fee_depends_on_the_steps_done(
    django_capture_on_commit_callbacks, reached, fee, words
):
    case = paid_case(django_capture_on_commit_callbacks)
    if reached:
        report_up_to(case, django_capture_on_commit_callbacks, reached)
    household = signed_in(case.household.user)

    confirm = household.get(case.url("cancel")).content.decode()
    assert words in confirm and f"{fee:,.0f} SAR" in confirm
    cancel(household, case, django_capture_on_commit_callbacks)

    assert case.fresh().state == RequestState.CANCELLED
    assert entries(case, TrustEntryKind.FEE) == [fee]
    assert entries(case, TrustEntryKind.REFUNDED) == [TOTAL - fee]
    assert Refund.objects.get(idempotency_key=f"refund-cancel-{case.request.pk}").amount == TOTAL - fee


def test_the_office_cancels_with_a_full_refund_and_owes_its_penalty(django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)
    office = signed_in(case.staff)

    confirm = office.get(case.url("office_cancel")).content.decode()
    assert "owes a penalty of 10% of the price 14,000 SAR = 1,400 SAR" in confirm
    page = cancel(office, case, django_capture_on_commit_callbacks, name="office_cancel").content.decode()

    assert case.fresh().state == RequestState.CANCELLED
    assert entries(case, TrustEntryKind.REFUNDED) == [TOTAL]
    assert entries(case, TrustEntryKind.PENALTY) == [Decimal("1400.00")]
    assert "Owed by the office" in page and "1,400 SAR" in page
    notice = Notification.objects.get(recipient=case.household.user, event="delivery_cancelled")
    assert "The office cancelled request" in notice.body


def test_a_reason_is_required(django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)

    page = signed_in(case.household.user).post(case.url("cancel"), {"reason": " "}).content.decode()

    assert "This field is required." in page
    assert case.fresh().state == RequestState.IN_PROCESS


def test_nobody_cancels_once_the_worker_has_arrived(django_capture_on_commit_callbacks):
    case = arrived_case(django_capture_on_commit_callbacks)

    household_page = cancel(signed_in(case.household.user), case, django_capture_on_commit_callbacks)
    office_page = cancel(
        signed_in(case.staff), case, django_capture_on_commit_callbacks, name="office_cancel"
    )

    assert "This request can no longer be cancelled." in household_page.content.decode()
    assert "The office can cancel only a paid contract" in office_page.content.decode()
    assert case.fresh().state == RequestState.ARRIVED
    assert not Refund.objects.filter(idempotency_key__startswith="refund-cancel").exists()
