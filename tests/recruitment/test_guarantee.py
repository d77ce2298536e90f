"""The guarantee: a return gives a pro-rata refund and a replacement visa; its end releases the money."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from households.models import EmployedWorker
from musaned.billing.models import Refund
from musaned.notifications.models import Notification
from recruitment import delivery
from recruitment.delivery_tasks import delivery_guarantees_close_run
from recruitment.models import OfficeRating, RequestState, TrustEntry, TrustEntryKind
from visas.models import Visa, VisaKind

from .delivery_support import handed_over_case, quick_pdfs, shift_clock, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_pdfs(monkeypatch):
    quick_pdfs(monkeypatch)


def return_form(exit_on: dt.date, **extra) -> dict:
    return {"exit_on_calendar": "gregorian", "exit_on": exit_on.isoformat(), "reason": "Not suited", **extra}


def days_after_arrival(monkeypatch, case, days: int) -> dt.date:
    arrived_on = timezone.localdate(case.fresh_contract().arrived_at)
    shift_clock(monkeypatch, days=(arrived_on - timezone.localdate()).days + days)
    return arrived_on + dt.timedelta(days=days)


def test_a_return_in_the_guarantee_refunds_the_months_remaining_and_opens_a_replacement_visa(
    monkeypatch, django_capture_on_commit_callbacks
):
    case = handed_over_case(django_capture_on_commit_callbacks)
    exit_on = days_after_arrival(monkeypatch, case, 40)
    household = signed_in(case.household.user)

    preview = household.post(case.url("return"), return_form(exit_on)).content.decode()
    # 40 days after arrival the worker has started 2 months: (16,100 ÷ 24) × 22 = 14,758.33
    assert (
        "(16,100 SAR ÷ 24 months) × 22 months remaining (2 started months served) = 14,758.33 SAR" in preview
    )
    assert case.fresh().state == RequestState.IN_GUARANTEE
    with django_capture_on_commit_callbacks(execute=True):
        done = household.post(case.url("return"), return_form(exit_on, confirm="1"), follow=True)

    request = case.fresh()
    assert request.state == RequestState.RETURNED
    refund = Refund.objects.get(idempotency_key=f"refund-return-{request.pk}")
    assert refund.amount == Decimal("14758.33")
    assert EmployedWorker.objects.get(household=case.household).ended_on == exit_on
    replacement = Visa.objects.get(replaces_id=request.visa_id)
    assert replacement.kind == VisaKind.REPLACEMENT
    page = done.content.decode()
    assert "A replacement visa has been opened for you." in page
    # 7,000 SAR went to the office on hand-over: it owes what the money held no longer covers
    assert "Owed by the office" in page and "5,658.33 SAR" in page
    assert Notification.objects.filter(recipient=case.staff, event="delivery_returned_office").exists()


def test_the_refund_still_happens_when_no_replacement_visa_can_be_given(
    monkeypatch, django_capture_on_commit_callbacks
):
    case = handed_over_case(django_capture_on_commit_callbacks, visa_issued_days_ago=725)
    exit_on = days_after_arrival(monkeypatch, case, 10)

    with django_capture_on_commit_callbacks(execute=True):
        page = (
            signed_in(case.household.user)
            .post(case.url("return"), return_form(exit_on, confirm="1"), follow=True)
            .content.decode()
        )

    assert case.fresh().state == RequestState.RETURNED
    assert Refund.objects.filter(idempotency_key=f"refund-return-{case.request.pk}").exists()
    assert not Visa.objects.filter(replaces_id=case.request.visa_id).exists()
    assert (
        "No replacement visa could be given: A visa can be replaced only within 730 days of its issue."
        in page
    )
    notice = Notification.objects.get(recipient=case.household.user, event="delivery_returned")
    assert "No replacement visa could be given" in notice.body


def test_a_return_date_outside_the_guarantee_is_refused(monkeypatch, django_capture_on_commit_callbacks):
    case = handed_over_case(django_capture_on_commit_callbacks)
    days_after_arrival(monkeypatch, case, 100)
    ended = case.fresh_contract().guarantee_ends_on

    page = (
        signed_in(case.household.user)
        .post(case.url("return"), return_form(ended + dt.timedelta(days=1), confirm="1"))
        .content.decode()
    )

    assert "The guarantee ended on" in page
    assert case.fresh().state == RequestState.IN_GUARANTEE


def test_the_guarantee_end_releases_the_rest_and_closes_the_case(
    monkeypatch, django_capture_on_commit_callbacks
):
    case = handed_over_case(django_capture_on_commit_callbacks)
    ends_on = case.fresh_contract().guarantee_ends_on
    with django_capture_on_commit_callbacks(execute=True):
        delivery.delivery_deadlines_run(today=ends_on - dt.timedelta(days=7))
    assert Notification.objects.filter(
        recipient=case.household.user, event="delivery_guarantee_alert"
    ).exists()

    shift_clock(monkeypatch, days=(ends_on - timezone.localdate()).days)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_guarantees_close_run() == 0  # the last day of the guarantee still counts
    shift_clock(monkeypatch, days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_guarantees_close_run() == 1
        assert delivery_guarantees_close_run() == 0

    request = case.fresh()
    assert request.state == RequestState.CLOSED
    released = TrustEntry.objects.filter(request=request, kind=TrustEntryKind.RELEASED).order_by("id")
    assert [entry.amount for entry in released] == [Decimal("7000.00"), Decimal("9100.00")]
    assert delivery.held_balance(request) == 0
    assert Notification.objects.filter(recipient=case.staff, event="delivery_closed_office").exists()
    assert "Case closed" in signed_in(case.household.user).get(case.url()).content.decode()


def test_the_household_rates_the_office_once_after_the_hand_over(django_capture_on_commit_callbacks):
    case = handed_over_case(django_capture_on_commit_callbacks)
    household = signed_in(case.household.user)

    household.post(case.url("rate"), {"stars": "4", "comment": "Quick and clear"})
    again = household.post(case.url("rate"), {"stars": "1"}, follow=True).content.decode()

    rating = OfficeRating.objects.get(request=case.request)
    assert (rating.stars, rating.office) == (4, case.office)
    assert "You have already rated the office for this request." in again
    assert (
        "The household rated the office 4 out of 5." in signed_in(case.staff).get(case.url()).content.decode()
    )
