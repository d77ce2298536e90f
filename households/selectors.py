"""Reads for the household pages and the ministry's file view, with their queries kept few."""

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from musaned.accounts.models import AuditEvent

from .models import (
    EmployedWorker,
    EmploymentFlag,
    FlagState,
    Household,
    HouseholdMember,
    IdentityStatus,
    IncomeProof,
)


def households_awaiting_identity(*, older_than: dt.timedelta) -> list[int]:
    """Pending households untouched for `older_than`: their check is overdue (an edit queues a fresh one)."""
    cutoff = timezone.now() - older_than
    return list(
        Household.objects.filter(identity_status=IdentityStatus.PENDING, updated_at__lte=cutoff)
        .order_by("updated_at")
        .values_list("pk", flat=True)
    )


def household_of(user) -> Household | None:
    return Household.objects.select_related("nationality").filter(user=user).first()


def members_of(household: Household) -> QuerySet[HouseholdMember]:
    return household.members.order_by("id")


def workers_of(household: Household) -> QuerySet[EmployedWorker]:
    """With each worker's open flags (absence, custody) as `open_flags`."""
    return (
        household.workers.select_related("nationality", "occupation")
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=EmploymentFlag.objects.filter(state=FlagState.OPEN).order_by("since", "id"),
                to_attr="open_flags",
            )
        )
        .order_by("ended_on", "employed_since", "id")
    )


def open_flags() -> QuerySet[EmploymentFlag]:
    """The ministry's list: every open flag, the longest-standing first."""
    return (
        EmploymentFlag.objects.filter(state=FlagState.OPEN)
        .select_related("worker__household", "worker__nationality")
        .order_by("since", "id")
    )


def proofs_of(household: Household) -> QuerySet[IncomeProof]:
    return household.income_proofs.select_related("uploaded_by").order_by("-issued_on", "-id")


def household_history(household: Household) -> QuerySet[AuditEvent]:
    """Every recorded act on the household's file, newest first (the audit index covers this query)."""
    return AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(Household), target_id=str(household.pk)
    ).select_related("actor", "on_behalf_of")


def household_by_national_id(national_id: str) -> Household | None:
    return Household.objects.filter(national_id=national_id).first()


def household_file(pk: int) -> Household | None:
    return Household.objects.select_related("user", "nationality").filter(pk=pk).first()
