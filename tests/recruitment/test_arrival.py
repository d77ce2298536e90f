"""Arrival from the passports service or the office, the hand-over by the household, and what follows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from households.models import EmployedWorker
from musaned.billing.models import Refund
from musaned.notifications.models import Notification
from recruitment import delivery
from recruitment.delivery_tasks import delivery_arrivals_poll, delivery_handovers_overdue_run
from recruitment.models import DeadlineAlert, MilestoneKind, RequestState, TrustEntry, TrustEntryKind
from visas.models import Visa, VisaState

from .delivery_support import (
    ARRIVED_PASSPORT,
    arrived_case,
    paid_case,
    quick_pdfs,
    report_up_to,
    shift_clock,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_pdfs(monkeypatch):
    quick_pdfs(monkeypatch)


def test_the_passports_service_reports_the_arrival(django_capture_on_commit_callbacks):
    waiting = paid_case(django_capture_on_commit_callbacks)
    arriving = paid_case(django_capture_on_commit_callbacks, passport=ARRIVED_PASSPORT)

    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_arrivals_poll() == 2

    assert waiting.fresh().state == RequestState.IN_PROCESS
    request, contract = arriving.fresh(), arriving.fresh_contract()
    assert request.state == RequestState.ARRIVED
    assert (
        dt.timedelta(hours=24)
        <= contract.handover_due_at - contract.arrived_at
        < dt.timedelta(hours=24, minutes=1)
    )
    assert Visa.objects.get(pk=request.visa_id).state == VisaState.USED
    notice = Notification.objects.get(recipient=arriving.household.user, event="delivery_arrived")
    assert "Once you have received her, confirm it" in notice.body
    page = signed_in(arriving.household.user).get(arriving.url()).content.decode()
    assert "Passports service" in page and "I have received the worker" in page
    # a repeated report changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        delivery_arrivals_poll()
    assert Notification.objects.filter(event="delivery_arrived").count() == 1


def test_the_office_confirms_the_arrival_and_the_household_the_hand_over(django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)
    office = signed_in(case.staff)
    now = timezone.localtime()
    arrival = {
        "arrived_on_calendar": "gregorian",
        "arrived_on": now.date().isoformat(),
        "arrived_time": "00:00",
    }

    refused = office.post(case.url("arrival"), arrival, follow=True).content.decode()
    assert "Report the worker&#x27;s departure before her arrival." in refused
    report_up_to(case, django_capture_on_commit_callbacks, MilestoneKind.DEPARTED)
    with django_capture_on_commit_callbacks(execute=True):
        office.post(case.url("arrival"), arrival)
    assert case.fresh().state == RequestState.ARRIVED

    household = signed_in(case.household.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = household.post(case.url("handover"), follow=True)

    request, contract = case.fresh(), case.fresh_contract()
    assert request.state == RequestState.IN_GUARANTEE
    assert contract.guarantee_ends_on == now.date() + dt.timedelta(days=90)
    worker = EmployedWorker.objects.get(household=case.household)
    assert (worker.name, worker.passport_number, worker.ended_on) == ("Maria Santos", "P7001230", None)
    assert Visa.objects.get(pk=request.visa_id).state == VisaState.USED
    release = TrustEntry.objects.get(request=request, kind=TrustEntryKind.RELEASED)
    # 50% of the price of 14,000 SAR goes to the office on hand-over; the rest after the guarantee
    assert release.amount == Decimal("7000.00") and release.key == f"release-arrival-{request.pk}"
    assert "The worker is now among your employed workers" in response.content.decode()
    assert Notification.objects.filter(recipient=case.staff, event="delivery_handed_over").exists()


def test_a_late_arrival_pays_the_penalty_to_the_household_from_the_money_held(
    monkeypatch, django_capture_on_commit_callbacks
):
    case = paid_case(django_capture_on_commit_callbacks, passport=ARRIVED_PASSPORT)
    due_on = case.fresh_contract().delivery_due_on
    shift_clock(monkeypatch, days=(due_on - timezone.localdate()).days + 3)

    with django_capture_on_commit_callbacks(execute=True):
        delivery_arrivals_poll()

    assert case.fresh().state == RequestState.ARRIVED
    penalty = TrustEntry.objects.get(request=case.request, kind=TrustEntryKind.PENALTY)
    assert penalty.amount == Decimal("300.00") and "3 days late" in penalty.formula
    refund = Refund.objects.get(idempotency_key=f"penalty-late-{case.request.pk}")
    assert refund.amount == Decimal("300.00")


def test_an_overdue_hand_over_alerts_the_office_once_and_shows_on_the_case(
    monkeypatch, django_capture_on_commit_callbacks
):
    case = arrived_case(django_capture_on_commit_callbacks)
    shift_clock(monkeypatch, hours=31)  # due 24 hours after it was recorded: 7 hours late

    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_handovers_overdue_run() == 1
        assert delivery_handovers_overdue_run() == 0

    assert Notification.objects.filter(recipient=case.staff, event="delivery_handover_late").count() == 1
    assert DeadlineAlert.objects.filter(request=case.request, kind="handover_late").exists()
    page = signed_in(case.staff).get(case.url()).content.decode()
    assert "Late by 7 hours." in page


def test_an_arrival_in_the_future_or_before_payment_is_refused(django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)
    report_up_to(case, django_capture_on_commit_callbacks, MilestoneKind.DEPARTED)
    office = signed_in(case.staff)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    page = office.post(
        case.url("arrival"),
        {"arrived_on_calendar": "gregorian", "arrived_on": tomorrow.isoformat(), "arrived_time": "10:00"},
        follow=True,
    ).content.decode()

    assert "The arrival cannot be in the future." in page
    assert case.fresh().state == RequestState.IN_PROCESS
    with pytest.raises(delivery.ValidationError):
        delivery.arrival_record(
            request=case.fresh(), at=timezone.now() - dt.timedelta(days=5), source="passports"
        )


def test_the_nightly_passports_feed_advances_the_case_it_names(django_capture_on_commit_callbacks):
    from musaned.registry.models import WorkerRecord
    from musaned.registry.signals import worker_arrived

    waiting = paid_case(django_capture_on_commit_callbacks)
    arriving = paid_case(django_capture_on_commit_callbacks, passport=ARRIVED_PASSPORT)
    today = timezone.localdate()  # the case was paid today: the arrival cannot be earlier

    worker_arrived.send(
        sender=WorkerRecord,
        passport_number=arriving.fresh_contract().cv.passport_number,
        iqama_number="",
        status_date=today,
        previous_status="abroad",
        run_id=1,
    )

    assert waiting.fresh().state == RequestState.IN_PROCESS
    assert arriving.fresh().state == RequestState.ARRIVED
    assert timezone.localdate(arriving.fresh_contract().arrived_at) == today
