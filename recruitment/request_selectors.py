"""Reads of the household's requests: its list, the visas it can recruit on, the offers and the timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from households.models import Household
from visas.models import Visa

from .models import (
    OPEN_REQUEST_STATES,
    Contract,
    Offer,
    OfficeAssignment,
    RecruitmentRequest,
    RequestState,
)
from .requests import ISSUED_VISA_STATES, NEW_VISA_STATES

# The colour of a request's state on the household's pages.
GOOD_STATES = frozenset({RequestState.IN_GUARANTEE, RequestState.CLOSED})
BAD_STATES = frozenset(
    {RequestState.CANCELLED, RequestState.VOID, RequestState.REJECTED, RequestState.RETURNED}
)
# From payment on, the case page (the delivery pages) takes over.
CASE_STATES = frozenset(
    {
        RequestState.AWAITING_PAYMENT,
        RequestState.IN_PROCESS,
        RequestState.ARRIVED,
        RequestState.IN_GUARANTEE,
        RequestState.CLOSED,
        RequestState.RETURNED,
        RequestState.VOID,
    }
)


def state_class(state: str) -> str:
    if state in GOOD_STATES:
        return "good"
    return "bad" if state in BAD_STATES else "warn"


def requests_of(household: Household) -> QuerySet[RecruitmentRequest]:
    return household.recruitment_requests.select_related(
        "office", "visa__occupation", "visa__nationality"
    ).order_by("-created_at", "-pk")


def visas_to_recruit_on(household: Household) -> QuerySet[Visa]:
    """The household's visas that can start a request: issued or on their way, unused, without one open."""
    open_request = RecruitmentRequest.objects.filter(visa=OuterRef("pk"), state__in=OPEN_REQUEST_STATES)
    return (
        household.visas.filter(state__in=[*ISSUED_VISA_STATES, *NEW_VISA_STATES], used_at__isnull=True)
        .exclude(Exists(open_request))
        .select_related("occupation", "nationality")
        .order_by("-submitted_at", "-pk")
    )


def offers_for_household(request: RecruitmentRequest) -> QuerySet[Offer]:
    """The offers the household may still choose from, then the closed ones."""
    return request.offers.select_related("office", "cv__nationality", "cv__occupation").order_by(
        "state", "pk"
    )


def live_contract(request: RecruitmentRequest) -> Contract | None:
    return (
        request.contracts.filter(worker_declined_at__isnull=True)
        .select_related("cv", "office", "rule_set")
        .order_by("-pk")
        .first()
    )


@dataclass(frozen=True)
class Step:
    """One line of the timeline: what happened (or must happen), when, who acts and by when."""

    label: str
    done: bool
    at: dt.datetime | None = None
    who: str = ""
    deadline: dt.datetime | None = None
    note: str = ""
    bad: bool = False


def _assignment_steps(assignments: list[OfficeAssignment]) -> list[Step]:
    steps, answered_before = [], set()
    for assignment in assignments:
        office = assignment.office.name
        if assignment.office_id in answered_before:
            label = _("You asked %(office)s for new offers") % {"office": office}
        else:
            label = _("Request sent to %(office)s") % {"office": office}
        steps.append(Step(label, done=True, at=assignment.assigned_at))
        outcome = assignment.outcome
        if outcome == OfficeAssignment.Outcome.ANSWERED:
            answered_before.add(assignment.office_id)
            steps.append(
                Step(_("%(office)s sent offers") % {"office": office}, done=True, at=assignment.closed_at)
            )
        elif outcome == OfficeAssignment.Outcome.LATE:
            steps.append(
                Step(
                    _("%(office)s did not answer in time") % {"office": office},
                    done=True,
                    at=assignment.closed_at,
                    bad=True,
                )
            )
        elif outcome == OfficeAssignment.Outcome.WITHDRAWN:
            steps.append(
                Step(
                    _("Request taken from %(office)s") % {"office": office},
                    done=True,
                    at=assignment.closed_at,
                )
            )
    return steps


def _contract_steps(contracts: list[Contract]) -> list[Step]:
    steps = []
    for contract in contracts:
        worker = contract.cv.name
        steps.append(
            Step(
                _("You chose %(worker)s: the contract was sent to her") % {"worker": worker},
                done=True,
                at=contract.created_at,
            )
        )
        if contract.worker_accepted_at:
            steps.append(
                Step(
                    _("%(worker)s accepted the contract") % {"worker": worker},
                    done=True,
                    at=contract.worker_accepted_at,
                )
            )
        elif contract.worker_declined_at:
            if contract.worker_declined_at >= contract.worker_decision_due_at:
                label = _("%(worker)s did not answer in time")
            else:
                label = _("%(worker)s declined the contract")
            steps.append(
                Step(
                    label % {"worker": worker},
                    done=True,
                    at=contract.worker_declined_at,
                    note=contract.worker_decline_reason,
                    bad=True,
                )
            )
    return steps


def next_step(request: RecruitmentRequest, contract: Contract | None) -> Step | None:
    """What must happen now, who does it and by when (None once the request is closed)."""
    state = request.state
    if state == RequestState.OFFICE_LATE or (state == RequestState.AWAITING_OFFERS and not request.office_id):
        return Step(_("Choose an office"), done=False, who=_("You"))
    if state == RequestState.AWAITING_OFFERS:
        return Step(
            _("%(office)s prepares offers for you") % {"office": request.office.name},
            done=False,
            who=_("The office"),
            deadline=request.answer_due_at,
        )
    if state == RequestState.OFFERS_SENT:
        return Step(_("Choose a worker, or ask for new offers"), done=False, who=_("You"))
    if state == RequestState.AWAITING_WORKER and contract is not None:
        return Step(
            _("%(worker)s reads the contract in her language and answers") % {"worker": contract.cv.name},
            done=False,
            who=_("The worker"),
            deadline=contract.worker_decision_due_at,
        )
    if state in CASE_STATES:
        return Step(_("Payment, travel and arrival: follow them on the case page"), done=False, who=_("You"))
    return None


def request_timeline(request: RecruitmentRequest, contract: Contract | None) -> list[Step]:
    """Everything that happened, oldest first, then what must happen next (two queries)."""
    assignments = list(request.assignments.select_related("office").order_by("assigned_at", "pk"))
    contracts = list(request.contracts.select_related("cv").order_by("created_at", "pk"))
    done = [Step(_("You started the request"), done=True, at=request.created_at)]
    done += _assignment_steps(assignments) + _contract_steps(contracts)
    if request.closed_at and request.state in BAD_STATES:
        done.append(Step(request.get_state_display(), done=True, at=request.closed_at, bad=True))
    done.sort(key=lambda step: step.at)
    following = next_step(request, contract)
    return done + ([following] if following else [])
