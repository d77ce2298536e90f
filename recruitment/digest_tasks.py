"""The offices' morning digest (beat: 06:30 local time, after the night's deadline runs)."""

from celery import shared_task
from django.utils import timezone

from . import digest


@shared_task
def office_digests_send_today() -> int:
    """Idempotent: an office already sent today's digest is not sent it again."""
    return digest.office_digests_send(day=timezone.localdate())
