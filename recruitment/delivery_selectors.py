"""Reads of a recruitment case for its page: the live timeline and the money held in trust.

The timeline is shown to the household, the office and the ministry on the case page, and to the worker
on her own page (include "recruitment/delivery/_timeline.html" with `steps`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from musaned.accounts.models import AuditEvent
from musaned.dates import format_both

from . import money
from .delivery import live_contract
from .models import MILESTONE_ORDER, Contract, MilestoneKind, RecruitmentRequest, RequestState, TrustEntry

DONE, NEXT, LATE, WAITING, SKIPPED = "done", "next", "late", "waiting", "skipped"

ENDINGS = {
    RequestState.CLOSED: "closed",
    RequestState.RETURNED: "returned",
    RequestState.CANCELLED: "cancelled",
    RequestState.VOID: "void",
    RequestState.REJECTED: "rejected",
}
BEFORE_CONTRACT = (
    RequestState.AWAITING_OFFERS,
    RequestState.OFFICE_LATE,
    RequestState.OFFERS_SENT,
    RequestState.AWAITING_WORKER,
)


@dataclass(frozen=True)
class Step:
    """One step of the case: done (when, by whom) or still to come (by when, and who must act)."""

    key: str
    label: str
    status: str
    at: dt.date | dt.datetime | None = None
    by: str = ""
    due: dt.date | dt.datetime | None = None
    who: str = ""
    note: str = ""

    @property
    def pending(self) -> bool:
        return self.status in (NEXT, LATE)


def _events(request: RecruitmentRequest) -> dict[str, AuditEvent]:
    """The latest audit event of each kind recorded on the request, with who did it."""
    events = AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(RecruitmentRequest), target_id=str(request.pk)
    ).select_related("actor", "on_behalf_of")
    latest: dict[str, AuditEvent] = {}
    for event in events.order_by("created_at", "id"):
        latest[event.action.removeprefix("recruitment.")] = event
    return latest


def _who(event: AuditEvent | None, default: str = "") -> str:
    if event is None or event.actor is None:
        return default
    if event.on_behalf_of_id and event.on_behalf_of_id != event.actor_id:
        return _("%(person)s for %(account)s") % {"person": event.actor, "account": event.on_behalf_of}
    return str(event.actor)


def _state(done: bool, *, due=None, now=None, reached: bool = True) -> str:
    if done:
        return DONE
    if not reached:
        return WAITING
    if due is not None and now is not None and now > due:
        return LATE
    return NEXT


def _before_contract(request: RecruitmentRequest, contract: Contract | None) -> Step:
    """Where a request stands before there is a contract to pay (the requests' own pages say more)."""
    state = request.state
    if state == RequestState.AWAITING_OFFERS:
        return Step(
            "offers", _("Offers from the office"), NEXT, due=request.answer_due_at, who=_("The office")
        )
    if state == RequestState.OFFICE_LATE:
        return Step("offers", _("Choose another office"), NEXT, who=_("The household"))
    if state == RequestState.OFFERS_SENT:
        return Step("offers", _("Choose a worker from the offers"), NEXT, who=_("The household"))
    return Step(
        "contract",
        _("The worker accepts the contract"),
        NEXT,
        due=contract.worker_decision_due_at if contract else None,
        who=_("The worker"),
    )


def case_timeline(*, request: RecruitmentRequest, now: dt.datetime | None = None) -> list[Step]:
    """Every step of the case in order: what was done, when and by whom; what is next, by when, by whom."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    contract = live_contract(request)
    events = _events(request)
    household = _household_name(request)
    steps = [Step("request", _("Request submitted"), DONE, at=request.created_at, by=household)]
    if request.state in BEFORE_CONTRACT or contract is None:
        if request.state in BEFORE_CONTRACT:
            steps.append(_before_contract(request, contract))
        return _with_ending(steps, request, events)

    steps.append(
        Step(
            "contract",
            _("Contract accepted by the worker"),
            DONE,
            at=contract.worker_accepted_at,
            by=contract.cv.name,
        )
    )
    paid = contract.paid_at is not None
    bill_due = contract.bill.due_at if contract.bill and not paid else None
    steps.append(
        Step(
            "payment",
            _("Payment held in trust"),
            _state(paid, due=bill_due, now=now),
            at=contract.paid_at,
            by=household if paid else "",
            due=bill_due,
            who="" if paid else _("The household"),
        )
    )
    arrived = contract.arrived_at is not None
    due_on = money.effective_due_on(contract)
    milestones = {milestone.kind: milestone for milestone in request.milestones.select_related("reported_by")}
    first_missing = next((kind for kind in MILESTONE_ORDER if kind not in milestones), None)
    for kind in MILESTONE_ORDER:
        key, label, milestone = f"milestone-{kind}", str(MilestoneKind(kind).label), milestones.get(kind)
        if milestone is not None:
            steps.append(
                Step(
                    key,
                    label,
                    DONE,
                    at=milestone.occurred_on,
                    by=str(milestone.reported_by),
                    note=milestone.note,
                )
            )
        elif arrived:
            steps.append(Step(key, label, SKIPPED))
        elif paid and kind == first_missing:
            steps.append(
                Step(key, label, _state(False, due=due_on, now=today), due=due_on, who=_("The office"))
            )
        else:
            steps.append(Step(key, label, WAITING))
    steps.append(_delivery_step(contract, events, today=today, paid=paid))
    steps.append(_handover_step(contract, events, household=household, now=now))
    steps.append(_guarantee_step(request, contract, today=today))
    return _with_ending(steps, request, events)


def _household_name(request: RecruitmentRequest) -> str:
    household = request.household
    return household.name_en if (get_language() or "ar").startswith("en") else household.name_ar


def _delivery_step(contract: Contract, events: dict[str, AuditEvent], *, today: dt.date, paid: bool) -> Step:
    due_on, hard = money.effective_due_on(contract), money.hard_limit_on(contract)
    arrival = events.get("worker_arrived")
    notes = []
    if contract.extended_due_on:
        notes.append(
            _("Extended once by the office (first due %(date)s).")
            % {"date": format_both(contract.delivery_due_on)}
        )
    if hard and not contract.arrived_at:
        notes.append(_("Void if the worker has not arrived by %(date)s.") % {"date": format_both(hard)})
    by = ""
    if arrival is not None:
        source = arrival.changes.get("source")
        by = _("Passports service") if source == "passports" else _who(arrival)
    return Step(
        "arrival",
        _("Worker arrives in the kingdom"),
        _state(contract.arrived_at is not None, due=due_on, now=today, reached=paid),
        at=contract.arrived_at,
        by=by,
        due=due_on,
        who=_("The office") if paid and not contract.arrived_at else "",
        note=" ".join(notes),
    )


def _handover_step(
    contract: Contract, events: dict[str, AuditEvent], *, household: str, now: dt.datetime
) -> Step:
    note = ""
    if (
        contract.handed_over_at
        and contract.handover_due_at
        and contract.handed_over_at > contract.handover_due_at
    ):
        hours = int((contract.handed_over_at - contract.handover_due_at).total_seconds() // 3600)
        note = _("Handed over %(hours)d hours late.") % {"hours": hours}
    elif not contract.handed_over_at and contract.handover_due_at and now > contract.handover_due_at:
        hours = int((now - contract.handover_due_at).total_seconds() // 3600)
        note = _("Late by %(hours)d hours.") % {"hours": hours}
    arrived = contract.arrived_at is not None
    return Step(
        "handover",
        _("Worker handed over to the household"),
        _state(contract.handed_over_at is not None, due=contract.handover_due_at, now=now, reached=arrived),
        at=contract.handed_over_at,
        by=_who(events.get("worker_handed_over"), household),
        due=contract.handover_due_at,
        who=_("The office hands her over; the household confirms")
        if arrived and not contract.handed_over_at
        else "",
        note=note,
    )


def _guarantee_step(request: RecruitmentRequest, contract: Contract, *, today: dt.date) -> Step:
    running = request.state == RequestState.IN_GUARANTEE
    ended = request.state in (RequestState.CLOSED, RequestState.RETURNED)
    return Step(
        "guarantee",
        _("Guarantee period"),
        DONE if ended else (NEXT if running else WAITING),
        at=contract.guarantee_ends_on if ended else None,
        due=contract.guarantee_ends_on,
        who=_("The household may return the worker until then") if running else "",
    )


def _with_ending(steps: list[Step], request: RecruitmentRequest, events: dict[str, AuditEvent]) -> list[Step]:
    """A case that ended: its final step, and the steps it never reached greyed out."""
    ending = ENDINGS.get(request.state)
    if ending is None:
        return steps
    if request.state != RequestState.CLOSED:
        steps = [step if step.status == DONE else Step(step.key, step.label, SKIPPED) for step in steps]
    labels = {
        "closed": _("Case closed"),
        "returned": _("Worker returned in the guarantee"),
        "cancelled": _("Request cancelled"),
        "void": _("Contract void: the office did not deliver in time"),
        "rejected": _("Request closed: the visa was refused"),
    }
    event = (
        events.get("cancelled_by_office")
        or events.get("cancelled_by_household")
        or events.get("worker_returned")
    )
    by = (
        _who(event, _("Musaned"))
        if request.state in (RequestState.CANCELLED, RequestState.RETURNED)
        else _("Musaned")
    )
    note = ""
    if event is not None and event.changes.get("reason"):
        note = event.changes["reason"]
    return [*steps, Step(ending, labels[ending], DONE, at=request.closed_at, by=by, note=note)]


def next_step(steps: list[Step]) -> Step | None:
    """The first step someone must act on now."""
    return next((step for step in steps if step.pending), None)


# --- the money held in trust -----------------------------------------------------------------------


@dataclass(frozen=True)
class CaseMoney:
    entries: list[TrustEntry]
    balance: Decimal
    accruing_penalty: money.Quote | None

    @property
    def held(self) -> Decimal:
        return max(Decimal("0.00"), self.balance)

    @property
    def owed_by_office(self) -> Decimal:
        return max(Decimal("0.00"), -self.balance)


def case_money(
    *, request: RecruitmentRequest, contract: Contract | None, today: dt.date | None = None
) -> CaseMoney:
    """The ledger with each formula, what is held now, and a late delivery's penalty as it stands today."""
    today = today or timezone.localdate()
    entries = list(TrustEntry.objects.filter(request_id=request.pk).order_by("created_at", "id"))
    accruing = None
    if request.state == RequestState.IN_PROCESS and contract is not None and contract.paid_at is not None:
        quote = money.delay_penalty(contract=contract, on=today)
        accruing = quote if quote.amount > 0 else None
    return CaseMoney(entries=entries, balance=money.trust_balance(entries), accruing_penalty=accruing)
