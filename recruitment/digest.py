"""The offices' morning digest: one message a day telling each office's staff what needs them, so that
they need not hunt through the pages.

`office_summaries` reads every office's cases at once, in a fixed number of grouped queries whatever the
number of offices and cases. `office_digests_send` sends each active office with something pending one
digest a day, to each of its active staff; the OfficeDigest row (unique per office and day) is written in
the same transaction as the notifications, so a redelivered or doubled task sends nothing twice.

Windows come from the rule sets: a delivery is "due soon" within the first alert its contract's rule set
gives (`deadline_alert_days`), the same window as the delivery alerts.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, DateField, F, Min, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.models import User
from musaned.accounts.services import audit_record
from musaned.notifications.services import notify
from musaned.policy.models import RuleSet

from .models import (
    Complaint,
    ComplaintState,
    Contract,
    Office,
    OfficeDigest,
    OfficeMembership,
    RecruitmentRequest,
    RequestState,
    TrustEntry,
    TrustEntryKind,
)

log = logging.getLogger(__name__)

EVENT = "office_daily_digest"


@dataclass
class OfficeSummary:
    """What waits for one office on one morning. Moments are ISO strings and amounts decimal strings,
    so that the summary is stored as it was sent and passed to the notification texts as it is."""

    day: str
    requests_waiting: int = 0
    requests_due_today: int = 0
    requests_soonest_due: str | None = None
    offers_waiting: int = 0
    contracts_waiting: int = 0
    deliveries: int = 0
    deliveries_due_soon: int = 0
    deliveries_overdue: int = 0
    arrivals: int = 0
    handover_soonest_due: str | None = None
    complaints_waiting: int = 0
    complaints_soonest_due: str | None = None
    penalties_yesterday: int = 0
    penalties_amount: str = "0.00"

    @property
    def action_count(self) -> int:
        """The cases the office itself must act on now (the rest wait for the household or the worker)."""
        return (
            self.requests_waiting
            + self.deliveries_due_soon
            + self.deliveries_overdue
            + self.arrivals
            + self.complaints_waiting
        )

    @property
    def pending(self) -> bool:
        return any(
            (
                self.requests_waiting,
                self.offers_waiting,
                self.contracts_waiting,
                self.deliveries,
                self.arrivals,
                self.complaints_waiting,
                self.penalties_yesterday,
            )
        )

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "action_count": self.action_count}


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _by_office(rows: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row.pop("office_id"): row for row in rows if row["office_id"] is not None}


def _request_rows(*, end_of_day: dt.datetime) -> dict[int, dict[str, Any]]:
    """Requests waiting for the office's offers, for the household's choice, for the worker's answer."""
    awaiting = Q(state=RequestState.AWAITING_OFFERS)
    rows = (
        RecruitmentRequest.objects.filter(
            office__isnull=False,
            state__in=[RequestState.AWAITING_OFFERS, RequestState.OFFERS_SENT, RequestState.AWAITING_WORKER],
        )
        .order_by()
        .values("office_id")
        .annotate(
            requests_waiting=Count("id", filter=awaiting),
            requests_due_today=Count("id", filter=awaiting & Q(answer_due_at__lt=end_of_day)),
            requests_soonest_due=Min("answer_due_at", filter=awaiting),
            offers_waiting=Count("id", filter=Q(state=RequestState.OFFERS_SENT)),
            contracts_waiting=Count("id", filter=Q(state=RequestState.AWAITING_WORKER)),
        )
    )
    return _by_office(rows)


def _alert_until(*, day: dt.date, rule_set_ids: QuerySet) -> Case:
    """The last due day that is "due soon" on `day`, per contract rule set (its first alert)."""
    rule_sets = RuleSet.objects.filter(pk__in=rule_set_ids).only("pk", "deadline_alert_days")
    whens = [
        When(
            rule_set_id=rule_set.pk,
            then=Value(day + dt.timedelta(days=max(rule_set.alert_days(), default=0))),
        )
        for rule_set in rule_sets
    ]
    return Case(*whens, default=Value(day), output_field=DateField())


def _contract_rows(*, day: dt.date) -> dict[int, dict[str, Any]]:
    """Deliveries in progress (due soon, overdue) and arrivals waiting for the hand-over."""
    live = Contract.objects.filter(
        worker_declined_at__isnull=True,
        request__state__in=[RequestState.IN_PROCESS, RequestState.ARRIVED],
    )
    in_process = Q(request__state=RequestState.IN_PROCESS)
    rule_set_ids = live.filter(in_process).order_by().values("rule_set_id").distinct()
    rows = (
        live.order_by()
        .annotate(
            due_on=Coalesce("extended_due_on", "delivery_due_on"),
            alert_until=_alert_until(day=day, rule_set_ids=rule_set_ids),
        )
        .values("office_id")
        .annotate(
            deliveries=Count("id", filter=in_process),
            deliveries_due_soon=Count(
                "id", filter=in_process & Q(due_on__gte=day, due_on__lte=F("alert_until"))
            ),
            deliveries_overdue=Count("id", filter=in_process & Q(due_on__lt=day)),
            arrivals=Count("id", filter=Q(request__state=RequestState.ARRIVED)),
            handover_soonest_due=Min("handover_due_at", filter=Q(request__state=RequestState.ARRIVED)),
        )
    )
    return _by_office(rows)


def _complaint_rows() -> dict[int, dict[str, Any]]:
    rows = (
        Complaint.objects.filter(state=ComplaintState.OPEN)
        .order_by()
        .values("office_id")
        .annotate(complaints_waiting=Count("id"), complaints_soonest_due=Min("response_due_at"))
    )
    return _by_office(rows)


def _penalty_rows(*, day: dt.date) -> dict[int, dict[str, Any]]:
    """Penalties written to the trust ledgers on the day before `day`."""
    rows = (
        TrustEntry.objects.filter(
            kind=TrustEntryKind.PENALTY,
            created_at__gte=_start_of(day - dt.timedelta(days=1)),
            created_at__lt=_start_of(day),
        )
        .order_by()
        .values(office_id=F("request__office_id"))
        .annotate(penalties_yesterday=Count("id"), penalties_amount=Sum("amount"))
    )
    return _by_office(rows)


def office_summaries(*, day: dt.date) -> dict[int, OfficeSummary]:
    """Every office with something pending on the morning of `day`, by office id (five queries)."""
    end_of_day = _start_of(day + dt.timedelta(days=1))
    parts = [_request_rows(end_of_day=end_of_day), _contract_rows(day=day), _complaint_rows()]
    parts.append(_penalty_rows(day=day))
    summaries: dict[int, OfficeSummary] = {}
    for part in parts:
        for office_id, values in part.items():
            summary = summaries.setdefault(office_id, OfficeSummary(day=day.isoformat()))
            for name, value in values.items():
                if isinstance(value, dt.datetime):
                    value = _iso(value)
                elif isinstance(value, Decimal):
                    value = str(value)
                setattr(summary, name, value)
    return {office_id: summary for office_id, summary in summaries.items() if summary.pending}


# --- sending ---------------------------------------------------------------------------------------


@transaction.atomic
def office_digest_send(*, office: Office, day: dt.date, summary: OfficeSummary, people: list[User]) -> bool:
    """Send one office's digest for `day` to its staff, once: False if it was already sent.

    The office row is locked so that two runs for the same office queue one behind the other; the unique
    (office, day) row settles any run that gets past the check at the same moment.
    """
    Office.objects.select_for_update().filter(pk=office.pk).first()
    if OfficeDigest.objects.filter(office=office, day=day).exists():
        return False
    values = summary.as_json()
    try:
        with transaction.atomic():
            digest = OfficeDigest.objects.create(office=office, day=day, summary=values)
    except IntegrityError:
        return False
    context = {**values, "office_name_ar": office.name_ar, "office_name_en": office.name_en}
    url = reverse("recruitment:office_home")
    for person in people:
        notify(recipient=person, event=EVENT, context=context, url=url, channels=("in_app", "email"))
    audit_record(
        action="recruitment.office_digest_sent",
        actor=None,
        target=office,
        changes={"digest": digest.pk, "day": day.isoformat(), "recipients": len(people)},
    )
    return True


def office_digests_send(*, day: dt.date) -> int:
    """Daily, in the morning: each active office with something pending gets its digest, sent to each of
    its active staff. One transaction per office, so one office's failure does not hold up the others;
    a rerun sends only what is missing. Returns how many offices were sent a digest."""
    summaries = office_summaries(day=day)
    offices = Office.objects.filter(pk__in=summaries, active=True).exclude(digests__day=day)
    staff: dict[int, list[User]] = {}
    memberships = OfficeMembership.objects.filter(office__in=offices, user__is_active=True).select_related(
        "user"
    )
    for membership in memberships.order_by("office_id", "role", "user_id"):
        staff.setdefault(membership.office_id, []).append(membership.user)
    sent = 0
    for office in offices.order_by("pk"):
        people = staff.get(office.pk)
        if not people:
            continue
        try:
            sent += office_digest_send(office=office, day=day, summary=summaries[office.pk], people=people)
        except Exception:
            log.exception("office %s: the daily digest for %s could not be sent", office.pk, day)
    return sent
