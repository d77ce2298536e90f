"""Reads for the complaint pages: each person's complaints, the office's and the ministry's queues."""

from __future__ import annotations

from django.db.models import Avg, Case, Count, Q, QuerySet, Value, When
from django.utils import timezone

from .complaints import COMPLAINT_REQUEST_STATES, OPEN_COMPLAINT_STATES, ComplaintDecision
from .models import (
    Complaint,
    ComplaintState,
    Milestone,
    Office,
    OfficeRating,
    RecruitmentRequest,
    Sanction,
    SanctionKind,
    TrustEntry,
)


def open_complaints(request: RecruitmentRequest, *, include_worker: bool = False) -> QuerySet[Complaint]:
    """The complaints still being handled on a case: while there is one, the case is disputed.

    The worker's own complaints are left out unless asked for: the employer is never shown them.
    """
    complaints = Complaint.objects.filter(request=request, state__in=OPEN_COMPLAINT_STATES)
    return complaints if include_worker else complaints.filter(by_worker=False)


def is_disputed(request: RecruitmentRequest) -> bool:
    return open_complaints(request).exists()


def household_complaints(household) -> QuerySet[Complaint]:
    return (
        Complaint.objects.filter(request__household=household, by_worker=False)
        .select_related("request", "office")
        .order_by("-created_at", "-id")
    )


def household_cases_open_to_complaint(household) -> QuerySet[RecruitmentRequest]:
    """The household's cases a complaint can be filed on, each with how many of its complaints are open."""
    open_own = Q(complaints__state__in=OPEN_COMPLAINT_STATES, complaints__by_worker=False)
    return (
        RecruitmentRequest.objects.filter(household=household, state__in=COMPLAINT_REQUEST_STATES)
        .select_related("office")
        .annotate(open_complaints=Count("complaints", filter=open_own))
        .order_by("-created_at", "-id")
    )


def office_complaints(office: Office, *, open_only: bool) -> QuerySet[Complaint]:
    """The complaints against one office, those waiting for its answer first, by deadline."""
    complaints = Complaint.objects.filter(office=office).select_related("request")
    if open_only:
        complaints = complaints.filter(state__in=OPEN_COMPLAINT_STATES)
    rank = Case(
        When(state=ComplaintState.OPEN, then=Value(0)),
        When(state=ComplaintState.ANSWERED, then=Value(1)),
        When(state=ComplaintState.ESCALATED, then=Value(2)),
        default=Value(3),
    )
    return complaints.annotate(rank=rank).order_by("rank", "response_due_at", "-id")


def ministry_queue() -> QuerySet[Complaint]:
    """Complaints passed to the ministry, oldest first."""
    return (
        Complaint.objects.filter(state=ComplaintState.ESCALATED)
        .select_related("request__household", "office")
        .order_by("escalated_at", "id")
    )


def ministry_decided() -> QuerySet[Complaint]:
    return (
        Complaint.objects.filter(state=ComplaintState.DECIDED)
        .select_related("request__household", "office", "decided_by")
        .order_by("-decided_at", "-id")
    )


def worker_complaints(contract) -> QuerySet[Complaint]:
    return Complaint.objects.filter(request_id=contract.request_id, by_worker=True).order_by(
        "-created_at", "-id"
    )


def case_ledger(request: RecruitmentRequest) -> QuerySet[TrustEntry]:
    return TrustEntry.objects.filter(request=request).order_by("created_at", "id")


def case_milestones(request: RecruitmentRequest) -> QuerySet[Milestone]:
    return (
        Milestone.objects.filter(request=request).select_related("reported_by").order_by("occurred_on", "id")
    )


def office_record(office: Office) -> dict:
    """What the deciding officer weighs: the office's ratings, complaints and sanctions so far."""
    today = timezone.localdate()
    ratings = OfficeRating.objects.filter(office=office).aggregate(average=Avg("stars"), count=Count("id"))
    complaints = Complaint.objects.filter(office=office).aggregate(
        total=Count("id"),
        escalated=Count("id", filter=Q(escalated_at__isnull=False)),
        upheld=Count("id", filter=Q(state=ComplaintState.DECIDED) & ~Q(decision=ComplaintDecision.DISMISSED)),
    )
    sanctions = list(Sanction.objects.filter(office=office).order_by("-starts_on", "-id")[:10])
    return {
        "rating_average": ratings["average"],
        "rating_count": ratings["count"],
        "complaints": complaints,
        "sanctions": sanctions,
        "suspended": any(
            s.kind == SanctionKind.SUSPENSION
            and s.starts_on <= today
            and (s.ends_on is None or s.ends_on >= today)
            for s in sanctions
        ),
    }
