"""The delivery deadline: advance alerts, one extension, the daily penalty, and a void past the limit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from musaned.billing.models import Refund
from musaned.notifications.models import Notification
from recruitment import delivery
from recruitment.delivery_tasks import delivery_deadlines_run
from recruitment.models import DeadlineAlert, RequestState, TrustEntry, TrustEntryKind
from visas.models import VisaState

from .delivery_support import TOTAL, paid_case, quick_pdfs, shift_clock, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_pdfs(monkeypatch):
    quick_pdfs(monkeypatch)


def run_day(monkeypatch, case, capture, *, after_due: int):
    """Move the clock to `after_due` days after the delivery due day and run the daily task."""
    due_on = case.fresh_contract().delivery_due_on
    shift_clock(monkeypatch, days=(due_on - timezone.localdate()).days + after_due)
    with capture(execute=True):
        return delivery_deadlines_run()


def alerts(case, event):
    return Notification.objects.filter(recipient=case.household.user, event=event)


def test_alerts_go_out_before_the_due_day_once_each(django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)
    due_on = case.fresh_contract().delivery_due_on

    for days_before in (10, 7, 7, 5, 3, 1, 1):
        with django_capture_on_commit_callbacks(execute=True):
            delivery.delivery_deadlines_run(today=due_on - dt.timedelta(days=days_before))

    household_alerts = alerts(case, "delivery_deadline_alert")
    assert household_alerts.count() == 3  # 7, 3 and 1 days before, each once
    assert (
        Notification.objects.filter(recipient=case.staff, event="delivery_deadline_alert_office").count() == 3
    )
    assert sorted(DeadlineAlert.objects.values_list("days_before", flat=True)) == [1, 3, 7]


def test_a_missed_run_sends_only_the_nearest_alert(django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)
    due_on = case.fresh_contract().delivery_due_on

    with django_capture_on_commit_callbacks(execute=True):
        delivery.delivery_deadlines_run(today=due_on - dt.timedelta(days=2))

    assert [alert.body.count("in 2 days") for alert in alerts(case, "delivery_deadline_alert")] == [1]


def test_late_delivery_runs_a_daily_penalty_shown_with_its_formula(
    monkeypatch, django_capture_on_commit_callbacks
):
    case = paid_case(django_capture_on_commit_callbacks)

    run_day(monkeypatch, case, django_capture_on_commit_callbacks, after_due=4)

    notice = alerts(case, "delivery_late").get()
    assert "100 SAR for each day late" in notice.body
    page = signed_in(case.household.user).get(case.url()).content.decode()
    assert "Late-delivery penalty so far" in page
    assert "4 days late after" in page and "× 100 SAR a day = 400 SAR" in page
    assert case.fresh().state == RequestState.IN_PROCESS
    # the late notice goes once, however often the task runs
    with django_capture_on_commit_callbacks(execute=True):
        delivery_deadlines_run()
    assert alerts(case, "delivery_late").count() == 1


def test_the_office_extends_once_and_the_penalty_counts_from_the_new_day(
    monkeypatch, django_capture_on_commit_callbacks
):
    case = paid_case(django_capture_on_commit_callbacks)
    office = signed_in(case.staff)
    due_on = case.fresh_contract().delivery_due_on

    with django_capture_on_commit_callbacks(execute=True):
        office.post(case.url("extend"))
    again = office.post(case.url("extend"), follow=True).content.decode()

    contract = case.fresh_contract()
    assert contract.extended_due_on == due_on + dt.timedelta(days=30)
    assert "already been extended once" in again
    assert alerts(case, "delivery_extended").count() == 1
    shift_clock(monkeypatch, days=(due_on - timezone.localdate()).days + 20)
    page = signed_in(case.household.user).get(case.url()).content.decode()
    assert "Late-delivery penalty so far" not in page and "Extended once by the office" in page


def test_an_extension_after_the_due_day_is_refused(monkeypatch, django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)
    due_on = case.fresh_contract().delivery_due_on
    shift_clock(monkeypatch, days=(due_on - timezone.localdate()).days + 1)

    page = signed_in(case.staff).post(case.url("extend"), follow=True).content.decode()

    assert "An extension must be asked for by the day delivery is due" in page
    assert case.fresh_contract().extended_due_on is None


def test_past_the_hard_limit_the_contract_is_void_with_a_full_refund_plus_the_penalty(
    monkeypatch, django_capture_on_commit_callbacks
):
    case = paid_case(django_capture_on_commit_callbacks)

    done = run_day(monkeypatch, case, django_capture_on_commit_callbacks, after_due=31)

    assert done["void"] == 1
    assert case.fresh().state == RequestState.VOID
    refund = Refund.objects.get(bill=case.fresh_contract().bill)
    assert refund.amount == TOTAL and refund.idempotency_key == f"refund-void-{case.request.pk}"
    penalty = TrustEntry.objects.get(request=case.request, kind=TrustEntryKind.PENALTY)
    # 31 days late × 100 SAR = 3,100 SAR, under the cap of 25% of 14,000 SAR (3,500 SAR)
    assert penalty.amount == Decimal("3100.00")
    assert "collected from its bank guarantee" in penalty.formula
    assert alerts(case, "delivery_void").exists()
    assert Notification.objects.filter(recipient=case.staff, event="delivery_void_office").exists()
    page = signed_in(case.household.user).get(case.url()).content.decode()
    assert "Contract void" in page and "Owed by the office" in page and "3,100 SAR" in page
    assert case.fresh().visa.state == VisaState.ISSUED


def test_a_void_waits_while_the_passports_service_is_down(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    case = paid_case(django_capture_on_commit_callbacks)
    settings.INTEGRATIONS_FAKE_FAILURES = {"passports": "timeout"}

    done = run_day(monkeypatch, case, django_capture_on_commit_callbacks, after_due=31)

    assert done["void"] == 0 and case.fresh().state == RequestState.IN_PROCESS
    settings.INTEGRATIONS_FAKE_FAILURES = {}
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_deadlines_run()["void"] == 1
