"""Background work for households: asking the identity service, and catching checks that got stuck."""

import datetime as dt

from celery import shared_task

from musaned.integrations.base import gateway
from musaned.integrations.tasks import GatewayTask

from .models import Household, IdentityStatus
from .selectors import households_awaiting_identity
from .services import identity_record_answer

PENDING_RECHECK_AFTER = dt.timedelta(hours=1)


@shared_task(base=GatewayTask, bind=True)
def confirm_identity(self, household_id: int) -> None:
    """Ask the identity service about the household's current ID and date of birth, then record the answer.

    Idempotent: a household that is no longer pending is left alone. The call is made outside any
    transaction; an outage raises a GatewayError and the task is retried with backoff.
    """
    facts = (
        Household.objects.filter(pk=household_id, identity_status=IdentityStatus.PENDING)
        .values("national_id", "date_of_birth")
        .first()
    )
    if facts is None:
        return
    record = gateway("identity").verify(**facts)
    identity_record_answer(household_id=household_id, record=record, **facts)


@shared_task
def recheck_pending_identities() -> int:
    """Re-ask for households still pending after an hour (lost messages, retries given up)."""
    household_ids = households_awaiting_identity(older_than=PENDING_RECHECK_AFTER)
    for household_id in household_ids:
        confirm_identity.delay(household_id)
    return len(household_ids)
