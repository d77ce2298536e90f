"""Deadlines stand still while a system they depend on is down, then run on."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from musaned.billing.models import BillPurpose, BillState
from musaned.billing.services import bill_expire_overdue, bill_issue, bill_reconcile
from musaned.deadlines import deadline_pause_events, deadline_with_pauses, paused_between
from musaned.integrations.models import CircuitState, DeadlinePause, GatewayCircuit
from musaned.policy.services import rules_in_force
from tests.factories import HouseholdFactory

from .conftest import COOL_DOWN, FAILURES_TO_OPEN

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def pause(gateway, start, end=None):
    return DeadlinePause.objects.create(gateway=gateway, started_at=start, ended_at=end)


def due(duration=3 * DAY, gateway="payment", start=START):
    return deadline_with_pauses(start=start, duration=duration, gateway=gateway)


def test_without_outages_the_deadline_is_the_start_plus_the_duration():
    pause("identity", START + DAY, START + DAY + HOUR)  # another system's outage changes nothing
    assert due() == START + 3 * DAY


def test_an_outage_within_the_period_moves_the_deadline_back_by_its_length():
    pause("payment", START + DAY, START + DAY + 5 * HOUR)
    assert due() == START + 3 * DAY + 5 * HOUR
    assert paused_between(gateway="payment", start=START, end=START + 4 * DAY) == 5 * HOUR


def test_only_the_part_of_an_outage_after_the_start_counts():
    pause("payment", START - 2 * HOUR, START + 3 * HOUR)
    assert due() == START + 3 * DAY + 3 * HOUR


def test_an_outage_after_the_deadline_does_not_count_but_one_before_the_moved_deadline_does():
    pause("payment", START + 2 * DAY, START + 2 * DAY + 4 * HOUR)  # moves the deadline to +3d 4h
    pause("payment", START + 3 * DAY + 2 * HOUR, START + 3 * DAY + 3 * HOUR)  # before +3d 4h: counts
    pause("payment", START + 10 * DAY, START + 11 * DAY)  # long after: does not
    assert due() == START + 3 * DAY + 5 * HOUR


def test_overlapping_outages_of_several_systems_count_once():
    pause("passports", START + DAY, START + DAY + 4 * HOUR)
    pause("mofa", START + DAY + 2 * HOUR, START + DAY + 6 * HOUR)
    assert due(gateway=["passports", "mofa"]) == START + 3 * DAY + 6 * HOUR
    assert paused_between(gateway=("passports", "mofa"), start=START, end=START + 2 * DAY) == 6 * HOUR


def test_a_deadline_cannot_pass_while_the_outage_lasts(clock):
    start = clock.now
    pause("payment", start + HOUR)
    for hours in (2, 30, 24 * 10):
        clock.now = start + hours * HOUR
        assert due(duration=DAY, start=start) > clock.now
    # from the outage's start there were 23 hours left to run
    assert due(duration=DAY, start=start) == clock.now + 23 * HOUR


def test_pause_events_describe_each_outage_on_a_case_page(clock):
    start = clock.now
    pause("passports", start + HOUR, start + 4 * HOUR)
    pause("mofa", start + 5 * HOUR)

    events = deadline_pause_events(gateway=["passports", "mofa"], start=start, end=start + DAY)

    assert [(event.gateway, event.paused, event.ongoing) for event in events] == [
        ("passports", 3 * HOUR, False),
        ("mofa", dt.timedelta(0), True),
    ]
    template = Template('{% load ops %}{% deadline_pauses "passports,mofa" start end %}')
    with translation.override("en"):
        text = " ".join(template.render(Context({"start": start, "end": start + DAY})).split())
    assert "The deadline stood still for 3 hours while the passports service was down" in text
    assert "The deadline is standing still while the foreign-ministry service is down" in text
    with translation.override("ar"):
        assert template.render(Context({"start": start, "end": start + DAY})).strip()
    assert (
        not Template('{% load ops %}{% deadline_pauses "payment" start end %}')
        .render(Context({"start": start, "end": start + DAY}))
        .strip()
    )


@pytest.fixture
def bill(clock, django_capture_on_commit_callbacks):
    household = HouseholdFactory()
    with django_capture_on_commit_callbacks(execute=True):
        return bill_issue(
            payer=household.user,
            subject=household,
            purpose=BillPurpose.VISA_FEE,
            amount=Decimal("2300.00"),
            vat_amount=Decimal("300.00"),
            formula="2,000 SAR visa fee + 15% VAT (300 SAR)",
            rule_set=rules_in_force(on=timezone.localdate()),
            due_in=3 * DAY,
        )


def state(bill):
    return type(bill).objects.get(pk=bill.pk).state


def test_a_bill_does_not_expire_on_time_lost_to_a_payment_outage(settings, clock, bill):
    due_at = bill.due_at
    assert type(bill).objects.get(pk=bill.pk).registered_at is not None

    # a day later the payment service goes down: the sweeps meet it failing, its circuit opens
    clock.advance(days=1)
    outage_began = clock.now
    settings.INTEGRATIONS_FAKE_FAILURES = {"payment": "error"}
    for _ in range(FAILURES_TO_OPEN):
        bill_reconcile(older_than=dt.timedelta(0))
        clock.advance(minutes=10)
    assert GatewayCircuit.objects.get(gateway="payment").state == CircuitState.OPEN

    # five hours on it is back; the next sweep after the cool-down closes the circuit
    clock.now = outage_began + 5 * HOUR
    settings.INTEGRATIONS_FAKE_FAILURES = {}
    clock.advance(seconds=COOL_DOWN.total_seconds())
    bill_reconcile(older_than=dt.timedelta(0))
    outage = DeadlinePause.objects.get(gateway="payment")
    assert outage.started_at == outage_began and outage.ended_at == clock.now
    lost = clock.now - outage_began

    # past the printed due time, but not past it with the lost time given back: still open
    clock.now = due_at + lost - dt.timedelta(minutes=1)
    assert bill_expire_overdue() == 0
    assert state(bill) == BillState.OPEN

    clock.now = due_at + lost + dt.timedelta(minutes=1)
    assert bill_expire_overdue() == 1
    assert state(bill) == BillState.EXPIRED


def test_a_bill_still_expires_on_time_when_the_payment_service_worked(clock, bill):
    clock.now = bill.due_at + dt.timedelta(minutes=1)
    assert bill_expire_overdue() == 1
    assert state(bill) == BillState.EXPIRED
