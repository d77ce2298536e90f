"""The scorecard counts what really happened on an office's cases, in a fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from recruitment.models import (
    Complaint,
    ComplaintState,
    OfficeAssignment,
    OfficeRating,
    RequestState,
    TrustEntry,
)
from recruitment.scorecard import scorecard_for, scorecards
from tests.factories import OfficeFactory, SanctionFactory
from tests.recruitment.offices_support import assignment, case, rules

pytestmark = pytest.mark.django_db

Outcome = OfficeAssignment.Outcome


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def complaint(request, *, state=ComplaintState.OPEN, escalated=False, decision=""):
    return Complaint.objects.create(
        request=request,
        office=request.office,
        category="contract",
        description="The worker has not arrived.",
        state=state,
        response_due_at=timezone.now(),
        escalated_at=timezone.now() if escalated else None,
        decision=decision,
    )


def money(request, kind: str, amount: str, key: str):
    return TrustEntry.objects.create(
        request=request, kind=kind, amount=Decimal(amount), formula="test", rule_set=rules(), key=key
    )


@pytest.fixture
def office():
    office = OfficeFactory()
    for outcome in (Outcome.ANSWERED, Outcome.ANSWERED, Outcome.ANSWERED, Outcome.LATE, Outcome.WAITING):
        assignment(office, outcome)

    case(office, paid_on=days_ago(100), due_on=days_ago(40), arrived_on=days_ago(50))
    case(
        office, paid_on=days_ago(100), due_on=days_ago(40), extended_to=days_ago(10), arrived_on=days_ago(30)
    )
    late = case(office, paid_on=days_ago(100), due_on=days_ago(40), arrived_on=days_ago(35))
    void = case(office, state=RequestState.VOID, paid_on=days_ago(200), due_on=days_ago(110))
    overdue = case(office, paid_on=days_ago(100), due_on=days_ago(1))
    case(office, paid_on=days_ago(10), due_on=days_ago(-50))  # still within its time
    case(office, state=RequestState.AWAITING_PAYMENT)  # never paid: nothing to judge

    complaint(overdue)
    complaint(void, state=ComplaintState.DECIDED, escalated=True, decision="suspension")
    complaint(late, state=ComplaintState.DECIDED, escalated=True, decision="dismissed")

    money(void, "held", "11500", "held-void")
    money(void, "refunded", "11500", "refund-void")
    money(void, "penalty", "2000", "penalty-void")
    money(late, "refunded", "500", "refund-late")

    for stars, request in zip((5, 4, 4), (late, void, overdue), strict=True):
        OfficeRating.objects.create(request=request, office=office, stars=stars)
    return office


def test_the_scorecard_figures_come_from_the_cases(office):
    other = OfficeFactory()
    OfficeRating.objects.create(request=case(other), office=other, stars=1)

    card = scorecards([office.pk, other.pk])[office.pk]

    assert (card.answered_on_time, card.answered_late, card.answer_rate) == (3, 1, 75)
    assert (card.delivered_on_time, card.delivered_late, card.delivery_rate) == (2, 3, 40)
    assert card.on_time_rate == 56  # 5 promises kept out of 9
    assert card.average_days_to_arrival == Decimal("61.7")  # (50 + 70 + 65) / 3
    assert (card.complaints, card.complaints_escalated, card.complaints_upheld) == (3, 2, 1)
    assert (card.refunds, card.refunded_amount) == (2, Decimal("12000"))
    assert (card.penalties, card.penalty_amount) == (1, Decimal("2000"))
    assert (card.rating_average, card.rating_count) == (Decimal("4.3"), 3)


def test_an_office_without_cases_has_nothing_to_show():
    card = scorecards([OfficeFactory().pk])
    (only,) = card.values()
    assert only.on_time_rate is None and only.rating_average is None and only.average_days_to_arrival is None
    assert only.complaints == only.refunds == 0


def test_the_cost_does_not_grow_with_the_number_of_offices(office, django_assert_num_queries):
    others = [OfficeFactory() for _ in range(10)]
    with django_assert_num_queries(5):
        cards = scorecards([office.pk, *(other.pk for other in others)])
    assert len(cards) == 11


def test_the_profile_scorecard_lists_the_sanctions_in_force(office):
    warning = SanctionFactory(office=office, kind="warning")
    SanctionFactory(office=office, lifted_at=timezone.now())
    SanctionFactory(office=office, starts_on=days_ago(30), ends_on=days_ago(1))
    assert scorecard_for(office).sanctions == [warning]
