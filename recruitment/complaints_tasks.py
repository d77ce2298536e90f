"""Scheduled work for complaints: unanswered complaints go to the ministry once their deadline passes."""

from celery import shared_task

from .complaints import complaint_escalate_overdue


@shared_task
def escalate_overdue_complaints() -> int:
    """Idempotent: a complaint already escalated, answered or closed is left alone."""
    return complaint_escalate_overdue()
