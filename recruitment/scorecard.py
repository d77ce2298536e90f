"""Each office's public record, computed from its real cases: a fixed number of grouped queries for any
number of offices, so the directory costs the same for 3 offices or 300."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, DateField, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from .models import (
    Complaint,
    ComplaintState,
    Contract,
    OfficeAssignment,
    OfficeRating,
    RequestState,
    TrustEntry,
    TrustEntryKind,
)
from .services import sanctions_in_force

# A ministry decision that upholds nothing does not count against the office.
DISMISSED_DECISION = "dismissed"


def _rate(good: int, bad: int) -> int | None:
    """Whole percent of `good` among all, or None while there is nothing to judge by."""
    total = good + bad
    return round(100 * good / total) if total else None


@dataclass
class Scorecard:
    """One office's record. Rates are whole percents, None while the office has no such cases yet."""

    office_id: int
    answered_on_time: int = 0
    answered_late: int = 0
    delivered_on_time: int = 0
    delivered_late: int = 0
    average_days_to_arrival: Decimal | None = None
    complaints: int = 0
    complaints_escalated: int = 0
    complaints_upheld: int = 0
    refunds: int = 0
    refunded_amount: Decimal = Decimal("0")
    penalties: int = 0
    penalty_amount: Decimal = Decimal("0")
    rating_average: Decimal | None = None
    rating_count: int = 0
    sanctions: list = field(default_factory=list)

    @property
    def answer_rate(self) -> int | None:
        return _rate(self.answered_on_time, self.answered_late)

    @property
    def delivery_rate(self) -> int | None:
        return _rate(self.delivered_on_time, self.delivered_late)

    @property
    def on_time_rate(self) -> int | None:
        """Answers and deliveries together: every promise the office made with a date on it."""
        return _rate(self.answered_on_time + self.delivered_on_time, self.answered_late + self.delivered_late)


def scorecards(office_ids: Iterable[int], *, on: dt.date | None = None) -> dict[int, Scorecard]:
    """The scorecards of the given offices (five queries whatever their number).

    Deliveries are judged against the due date in force (the extended one when the office was granted
    the extension): arrived by then is on time; arrived later, voided for delay, or still abroad past it
    is late. Answers are the offices' replies to requests assigned to them.
    """
    on = on or timezone.localdate()
    ids = list(office_ids)
    cards = {office_id: Scorecard(office_id=office_id) for office_id in ids}
    if not ids:
        return cards

    for row in (
        OfficeAssignment.objects.filter(office_id__in=ids)
        .values("office_id")
        .annotate(
            on_time=Count("pk", filter=Q(outcome=OfficeAssignment.Outcome.ANSWERED)),
            late=Count("pk", filter=Q(outcome=OfficeAssignment.Outcome.LATE)),
        )
        .order_by()
    ):
        card = cards[row["office_id"]]
        card.answered_on_time, card.answered_late = row["on_time"], row["late"]

    due = Coalesce("extended_due_on", "delivery_due_on", output_field=DateField())
    arrived_on = TruncDate("arrived_at")
    for row in (
        Contract.objects.filter(office_id__in=ids, paid_at__isnull=False)
        .annotate(due=due, arrived_on=arrived_on)
        .values("office_id")
        .annotate(
            on_time=Count("pk", filter=Q(arrived_at__isnull=False, arrived_on__lte=F("due"))),
            late=Count(
                "pk",
                filter=Q(arrived_at__isnull=False, arrived_on__gt=F("due"))
                | Q(arrived_at__isnull=True, request__state=RequestState.VOID)
                | Q(arrived_at__isnull=True, request__state=RequestState.IN_PROCESS, due__lt=on),
            ),
            to_arrival=Avg(
                ExpressionWrapper(F("arrived_at") - F("paid_at"), output_field=DurationField()),
                filter=Q(arrived_at__isnull=False),
            ),
        )
        .order_by()
    ):
        card = cards[row["office_id"]]
        card.delivered_on_time, card.delivered_late = row["on_time"], row["late"]
        if row["to_arrival"] is not None:
            days = Decimal(row["to_arrival"].total_seconds()) / Decimal(86400)
            card.average_days_to_arrival = days.quantize(Decimal("0.1"))

    for row in (
        Complaint.objects.filter(office_id__in=ids)
        .values("office_id")
        .annotate(
            total=Count("pk"),
            escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
            upheld=Count("pk", filter=Q(state=ComplaintState.DECIDED) & ~Q(decision=DISMISSED_DECISION)),
        )
        .order_by()
    ):
        card = cards[row["office_id"]]
        card.complaints, card.complaints_escalated = row["total"], row["escalated"]
        card.complaints_upheld = row["upheld"]

    refunded, penalty = Q(kind=TrustEntryKind.REFUNDED), Q(kind=TrustEntryKind.PENALTY)
    for row in (
        TrustEntry.objects.filter(
            request__office_id__in=ids, kind__in=[TrustEntryKind.REFUNDED, TrustEntryKind.PENALTY]
        )
        .values("request__office_id")
        .annotate(
            refunds=Count("request", distinct=True, filter=refunded),
            refunded_amount=Sum("amount", filter=refunded),
            penalties=Count("request", distinct=True, filter=penalty),
            penalty_amount=Sum("amount", filter=penalty),
        )
        .order_by()
    ):
        card = cards[row["request__office_id"]]
        card.refunds, card.penalties = row["refunds"], row["penalties"]
        card.refunded_amount = row["refunded_amount"] or Decimal("0")
        card.penalty_amount = row["penalty_amount"] or Decimal("0")

    for row in (
        OfficeRating.objects.filter(office_id__in=ids)
        .values("office_id")
        .annotate(average=Avg("stars"), count=Count("pk"))
        .order_by()
    ):
        card = cards[row["office_id"]]
        card.rating_count = row["count"]
        card.rating_average = Decimal(str(row["average"])).quantize(Decimal("0.1"))
    return cards


def scorecard_for(office, *, on: dt.date | None = None) -> Scorecard:
    """One office's scorecard with the sanctions in force attached (for its profile)."""
    on = on or timezone.localdate()
    card = scorecards([office.pk], on=on)[office.pk]
    card.sanctions = list(sanctions_in_force(on).filter(office=office).order_by("-starts_on", "-id"))
    return card
