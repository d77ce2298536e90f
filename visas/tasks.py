"""Background work for visas: activation at the foreign ministry, printing, and the daily expiry sweep."""

from celery import shared_task

from musaned.integrations.base import gateway
from musaned.integrations.tasks import GatewayTask

from . import services
from .models import Visa, VisaState


@shared_task(base=GatewayTask, bind=True, max_retries=48)
def visa_activate(self, visa_id: int) -> None:
    """Ask the foreign ministry to activate an issued visa, then record it; retried until it answers.

    About two days of retries (backoff capped at an hour). Idempotent: the ministry gives the same
    reference for the same visa, and a visa no longer waiting (activated, cancelled) is left alone.
    """
    number = Visa.objects.filter(pk=visa_id, state=VisaState.ISSUED).values_list("number", flat=True).first()
    if number is None:
        return
    reference = gateway("mofa").activate_visa(visa_number=number)
    services.visa_record_activation(visa=Visa.objects.get(pk=visa_id), reference=reference)


@shared_task
def visa_render_document(visa_id: int) -> None:
    """Print the issued visa to PDF; a repeated run stores nothing new."""
    services.visa_issue_document(visa=Visa.objects.get(pk=visa_id))


@shared_task
def visa_expire_due() -> int:
    """Daily: close unused visas whose validity has ended."""
    return services.visa_expire_due()
