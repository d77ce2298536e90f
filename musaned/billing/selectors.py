"""Reads about bills: whose they are, what their payer may see, and what the sweeps pick up."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from musaned.accounts.models import DelegationScope

from .models import Bill, BillPurpose, BillState, Refund, RefundState

if TYPE_CHECKING:
    from musaned.accounts.actor import Actor
    from musaned.documents.models import Document

RECEIPT_KIND = "receipt"

# The delegation scope that covers paying (and seeing) each kind of bill for the account's owner.
PURPOSE_SCOPES: dict[str, str] = {
    BillPurpose.VISA_FEE: DelegationScope.VISA_APPLICATIONS,
    BillPurpose.ESERVICE_FEE: DelegationScope.VISA_APPLICATIONS,
    BillPurpose.CONTRACT: DelegationScope.RECRUITMENT,
}


def bills_visible_to(actor: Actor) -> QuerySet[Bill]:
    """The account's own bills; a delegate sees only the kinds of bill their scope covers."""
    bills = Bill.objects.filter(payer=actor.principal)
    if actor.delegation is not None:
        purposes = [purpose for purpose, scope in PURPOSE_SCOPES.items() if scope == actor.delegation.scope]
        bills = bills.filter(purpose__in=purposes)
    return bills


def bill_list(actor: Actor) -> QuerySet[Bill]:
    """The payer's bills, newest first, with what the list shows about each subject."""
    return bills_visible_to(actor).prefetch_related("subject").order_by("-issued_at", "-id")


def receipts_of(bills: list[Bill]) -> dict[int, Document]:
    """The latest receipt of each bill that has one, in one query."""
    from musaned.documents.models import Document

    if not bills:
        return {}
    bill_type = ContentType.objects.get_for_model(Bill)
    latest: dict[int, Document] = {}
    documents = Document.objects.filter(
        subject_type=bill_type, subject_id__in=[str(bill.pk) for bill in bills], kind=RECEIPT_KIND
    ).order_by("version")
    for document in documents:
        latest[int(document.subject_id)] = document
    return latest


def latest_receipt(bill: Bill) -> Document | None:
    return receipts_of([bill]).get(bill.pk)


def bills_to_reconcile(*, issued_before: dt.datetime) -> QuerySet[Bill]:
    """Open bills old enough that their payment notice, if any, should have arrived."""
    return Bill.objects.filter(state=BillState.OPEN, issued_at__lte=issued_before).order_by("issued_at", "id")


def overdue_bills(*, now: dt.datetime) -> QuerySet[Bill]:
    return Bill.objects.filter(state=BillState.OPEN, due_at__lte=now).order_by("due_at", "id")


def refund_in_flight(*, refund_id: int) -> bool:
    """Still waiting to be sent: another worker holds it, or held it and died."""
    return Refund.objects.filter(pk=refund_id, state=RefundState.REQUESTED).exists()


def stale_refund_ids(*, older_than: dt.timedelta) -> list[int]:
    """Refunds still waiting long after they were asked for and not being sent now: their task was lost."""
    now = timezone.now()
    return list(
        Refund.objects.filter(state=RefundState.REQUESTED, requested_at__lte=now - older_than)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .values_list("pk", flat=True)
    )
