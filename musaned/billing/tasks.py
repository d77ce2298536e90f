"""Background work for bills: registering them, sending refunds, receipts, and the sweeps on a schedule.

Every task may run more than once (late acknowledgement): each is idempotent.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from musaned.integrations.base import GatewayError, gateway
from musaned.integrations.tasks import GatewayTask

from . import selectors, services
from .models import Bill, BillState

# Past the longest wait between two retries: a refund untouched this long lost its task.
STALE_REFUND_AFTER = dt.timedelta(hours=2)


@shared_task(base=GatewayTask, bind=True)
def bill_register(self, bill_id: int) -> None:
    """Register an open bill with the payment service (retried while the service is down)."""
    services.bill_register_at_gateway(bill_id=bill_id)


@shared_task(base=GatewayTask, bind=True)
def refund_send(self, refund_id: int) -> None:
    """Ask the payment service to return the money of one refund, once.

    A refund another worker is sending is looked at again when that worker's claim runs out; an
    outage is retried with backoff, and the refund fails only when the retries are used up.
    """
    refund = services.refund_claim(refund_id=refund_id)
    if refund is None:
        if selectors.refund_in_flight(refund_id=refund_id):
            raise self.retry(countdown=services.REFUND_CLAIM_SECONDS)
        return
    try:
        sent = gateway("payment").refund(
            payment_ref=refund.payment_ref, amount=refund.amount, key=refund.idempotency_key
        )
    except Exception as exc:
        final = not (isinstance(exc, GatewayError) and self.will_retry(exc))
        services.refund_record_failure(refund_id=refund.pk, error=str(exc) or type(exc).__name__, final=final)
        raise
    services.refund_record_sent(refund_id=refund.pk, gateway_ref=sent.refund_ref)


@shared_task
def render_receipt(bill_id: int) -> None:
    """Print the receipt of a bill just paid; a second run finds it already issued."""
    bill = Bill.objects.filter(pk=bill_id, state=BillState.PAID).first()
    if bill is not None:
        services.bill_receipt(bill=bill)


@shared_task
def reconcile_bills() -> int:
    """Every ten minutes: payments whose notice never came, and refunds whose task was lost."""
    for refund_id in selectors.stale_refund_ids(older_than=STALE_REFUND_AFTER):
        refund_send.delay(refund_id)
    return services.bill_reconcile()


@shared_task
def expire_overdue_bills() -> int:
    """Every five minutes: bills left unpaid past their due time."""
    return services.bill_expire_overdue()
