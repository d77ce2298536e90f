"""Reads of the notification centre: the inbox, its unread count, deliveries that need a nudge."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from . import texts
from .models import Message, MessageStatus, Notification, NotificationPreference


def inbox_for(*, user) -> QuerySet[Notification]:
    """The person's own notifications, newest first."""
    return (
        Notification.objects.filter(recipient=user)
        .prefetch_related(Prefetch("messages", Message.objects.only("notification_id", "channel", "status")))
        .order_by("-created_at", "-id")
    )


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
        .filter(Q(held_until__isnull=True) | Q(held_until__lt=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def released_message_ids(*, limit: int = 1000) -> list[int]:
    """Messages the hourly limit held whose time has come."""
    return list(
        Message.objects.filter(status=MessageStatus.QUEUED, held_until__lte=timezone.now())
        .order_by("held_until", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def audiences_of(user) -> set[str]:
    """Whom events are written for that this person is."""
    found = {"anyone"}
    if user.is_household:
        found.add("household")
    if user.is_office_staff:
        found.add("office")
    if user.is_ministry:
        found.add("ministry")
    return found


def topics_for(user) -> list[str]:
    """The topics this person can get messages about, in the order of the preferences page."""
    audiences = audiences_of(user)
    present = {event.topic for event in texts.events().values() if event.audience in audiences}
    return [topic for topic in texts.TOPICS if topic in present]


def preferences_of(*, user) -> dict[str, NotificationPreference]:
    return {row.topic: row for row in NotificationPreference.objects.filter(user=user)}
