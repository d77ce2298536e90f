"""Scheduled work of the delivery stage: deadlines, arrivals reported by the passports service,
overdue hand-overs and the end of guarantees. Thin: each calls the services in delivery.py."""

from celery import shared_task

from musaned.integrations.tasks import GatewayTask

from . import delivery


@shared_task
def delivery_deadlines_run() -> dict[str, int]:
    """Daily: advance alerts, late notices, and void contracts past their hard limit."""
    return delivery.delivery_deadlines_run()


@shared_task
def delivery_guarantees_close_run() -> int:
    """Daily: release the rest of the money and close cases whose guarantee has ended."""
    return delivery.guarantees_close_run()


@shared_task
def delivery_handovers_overdue_run() -> int:
    """Hourly: tell offices whose hand-over is overdue (once per case)."""
    return delivery.handovers_overdue_run()


@shared_task
def delivery_arrivals_poll() -> int:
    """Every few hours: ask the passports service about each worker the offices are bringing."""
    request_ids = delivery.arrivals_to_check()
    for request_id in request_ids:
        delivery_arrival_check.delay(request_id)
    return len(request_ids)


@shared_task(base=GatewayTask, bind=True, max_retries=8)
def delivery_arrival_check(self, request_id: int) -> bool:
    """One worker's travel status; retried while the passports service is down. Idempotent."""
    return delivery.arrival_check_passports(request_id=request_id)
