"""Reads of the notification centre: the inbox, its unread count, deliveries that need a nudge."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Message, MessageStatus, Notification


def inbox_for(*, user) -> QuerySet[Notification]:
    """The person's own notifications, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def message_in_flight(*, message_id: int) -> bool:
    """Another attempt holds the message right now (it is neither sent nor failed yet)."""
    return Message.objects.filter(
        pk=message_id, status=MessageStatus.QUEUED, claimed_until__gte=timezone.now()
    ).exists()


def stale_message_ids(*, older_than: dt.timedelta, limit: int = 1000) -> list[int]:
    """Queued messages nothing has touched for `older_than`: their delivery task was lost."""
    now = timezone.now()
    return list(
        Message.objects.filter(status=MessageStatus.QUEUED, updated_at__lt=now - older_than)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
