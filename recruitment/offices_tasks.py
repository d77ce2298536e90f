"""Background work about offices: asking the commerce registry whether their registrations are valid.

Beat schedule: `recruitment.offices_tasks.offices_check_commercial_registrations` once a day.
"""

from celery import shared_task

from musaned.integrations.base import gateway
from musaned.integrations.tasks import GatewayTask

from . import services
from .models import Office


@shared_task(base=GatewayTask, bind=True)
def office_check_commercial_registration(self, *, office_id: int) -> None:
    """Ask the registry about one office's CR and record the answer; retried while the registry is down.

    The call is made outside any transaction; until an answer arrives the office keeps the validity
    last recorded. Running it twice records the same answer twice, which changes nothing.
    """
    cr_number = Office.objects.filter(pk=office_id).values_list("cr_number", flat=True).first()
    if cr_number is None:
        return
    status = gateway("commerce").cr_status(cr_number=cr_number)
    services.office_record_registration(office_id=office_id, status=status)


@shared_task
def offices_check_commercial_registrations() -> int:
    """Daily: check every active office, one task each so that one failure does not hold up the rest."""
    office_ids = list(Office.objects.filter(active=True).values_list("pk", flat=True))
    for office_id in office_ids:
        office_check_commercial_registration.delay(office_id=office_id)
    return len(office_ids)
