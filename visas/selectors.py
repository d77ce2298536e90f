"""Reads about visas: a household's list, one visa's timeline, the officers' queue, what counts as held."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.models import Household
from musaned.accounts.models import AuditEvent

from .models import HELD_STATES, FindingVerdict, ReviewFinding, Visa, VisaState

# Visas left out of the held count while one application is judged as if it were not there yet.
_not_counted: ContextVar[frozenset[int]] = ContextVar("visas_not_counted", default=frozenset())


def held_visa_count(household: Household) -> int:
    """Visas of the household that count against its eligibility tier (registered in HELD_VISA_COUNTERS)."""
    return household.visas.filter(state__in=HELD_STATES).exclude(pk__in=_not_counted.get()).count()


@contextmanager
def counting_without(visa: Visa) -> Iterator[None]:
    """Judge eligibility as the household stood before `visa` was applied for (the review asks again)."""
    token = _not_counted.set(_not_counted.get() | {visa.pk})
    try:
        yield
    finally:
        _not_counted.reset(token)


def visas_for_household(*, household: Household) -> QuerySet[Visa]:
    """Every application and visa of one household, newest first, with what the list and page show."""
    return Visa.objects.filter(household=household).select_related(
        "occupation", "nationality", "bill", "replaces", "rule_set"
    )


def referred_to_officer() -> Exists:
    """The automatic review sent the application to a person."""
    return Exists(ReviewFinding.objects.filter(visa=OuterRef("pk"), verdict=FindingVerdict.REFER))


def is_referred(visa: Visa) -> bool:
    return visa.findings.filter(verdict=FindingVerdict.REFER).exists()


def review_queue(*, user) -> QuerySet[Visa]:
    """Applications waiting for an officer, the most urgent first; empty for anyone outside visa review."""
    if not (user.is_authenticated and user.has_perm("visas.review_visa")):
        return Visa.objects.none()
    return (
        Visa.objects.filter(state=VisaState.UNDER_REVIEW)
        .filter(referred_to_officer())
        .select_related("household", "occupation", "nationality")
        .order_by("decision_due_at", "id")
    )


def review_findings(*, visa: Visa) -> QuerySet[ReviewFinding]:
    return visa.findings.order_by("id")


def late_alert_recipients():
    """Active accounts told when a visa decision runs late (the supervisors' permission, by group or own)."""
    from django.contrib.auth.models import Permission

    from musaned.accounts.models import User

    permission = Permission.objects.filter(
        content_type__app_label="visas", codename="supervise_visa_review"
    ).first()
    if permission is None:
        return User.objects.none()
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .distinct()
    )


def visa_document_status(*, visa: Visa, today: dt.date | None = None) -> tuple[bool, str]:
    """What the public check of a printed visa says now: valid only while issued or activated and in date."""
    today = today or timezone.localdate()
    if visa.state == VisaState.CANCELLED:
        return False, _("Cancelled")
    if visa.state == VisaState.USED:
        return False, _("Used: a worker has arrived on this visa")
    if visa.state == VisaState.EXPIRED or (visa.valid_until is not None and visa.valid_until < today):
        return False, _("Expired")
    if visa.state in (VisaState.ISSUED, VisaState.ACTIVATED):
        return True, _("Valid")
    return False, _("Not valid")


# Timeline -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineStep:
    label: str
    at: dt.datetime | None
    by: str
    done: bool
    deadline: dt.datetime | None = None
    who_acts_next: str = ""


# What each recorded act is called on the household's timeline; acts not listed stay internal.
STEP_LABELS = {
    "visa.applied": gettext_lazy("Application submitted"),
    "visa.replacement_applied": gettext_lazy("Replacement application opened"),
    "visa.review_started": gettext_lazy("Fee paid: review started"),
    "visa.fee_waived": gettext_lazy("No fee to pay: review started"),
    "visa.referred": gettext_lazy("Sent to a ministry officer for review"),
    "visa.issued": gettext_lazy("Visa issued"),
    "visa.rejected": gettext_lazy("Application not approved"),
    "visa.withdrawn": gettext_lazy("Withdrawn: the fee was not paid in time"),
    "visa.activated": gettext_lazy("Activated at the Ministry of Foreign Affairs"),
    "visa.used": gettext_lazy("A worker arrived on this visa"),
    "visa.cancelled": gettext_lazy("Visa cancelled"),
    "visa.refunded": gettext_lazy("Fee refunded"),
    "visa.expired": gettext_lazy("Visa expired"),
}
# Acts only an officer can do: the household sees "a ministry officer", not the officer's name.
OFFICER_ACTS = frozenset({"visa.issued", "visa.rejected"})


def _by(event: AuditEvent) -> str:
    if event.actor is None:
        return _("Musaned (automatic)")
    if event.action in OFFICER_ACTS:
        return _("A ministry officer")
    name = str(event.actor)
    if event.on_behalf_of_id and event.on_behalf_of_id != event.actor_id:
        return _("%(name)s (delegate)") % {"name": name}
    return name


def visa_events(*, visa: Visa) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(Visa),
            target_id=str(visa.pk),
            action__in=list(STEP_LABELS),
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))


def _next_step(visa: Visa) -> TimelineStep | None:
    """What must happen next, who does it and by when; None once nothing more is expected."""
    household = _("You (the household)")
    if visa.state == VisaState.AWAITING_PAYMENT:
        return TimelineStep(
            label=_("Pay the fee"),
            at=None,
            by="",
            done=False,
            deadline=visa.bill.due_at if visa.bill_id else None,
            who_acts_next=household,
        )
    if visa.state == VisaState.UNDER_REVIEW:
        return TimelineStep(
            label=_("Decision on the application"),
            at=None,
            by="",
            done=False,
            deadline=visa.decision_due_at,
            who_acts_next=_("The Ministry of Human Resources"),
        )
    if visa.state == VisaState.ISSUED:
        return TimelineStep(
            label=_("Activation at the Ministry of Foreign Affairs"),
            at=None,
            by="",
            done=False,
            who_acts_next=_("The Ministry of Foreign Affairs"),
        )
    if visa.state == VisaState.ACTIVATED and visa.valid_until:
        return TimelineStep(
            label=_("Recruit a worker with this visa"),
            at=None,
            by="",
            done=False,
            deadline=_end_of_day(visa.valid_until),
            who_acts_next=household,
        )
    return None


def visa_timeline(*, visa: Visa) -> list[TimelineStep]:
    """Each step taken (when, by whom), then the step expected next with its deadline and who acts."""
    steps = [
        TimelineStep(label=str(STEP_LABELS[event.action]), at=event.created_at, by=_by(event), done=True)
        for event in visa_events(visa=visa)
    ]
    upcoming = _next_step(visa)
    if upcoming is not None:
        steps.append(upcoming)
    return steps
