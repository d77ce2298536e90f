"""Telling people what happened: in the inbox, by e-mail and by SMS, in each person's own language."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from musaned.accounts.services import audit_record

from .models import Channel, Message, MessageStatus, Notification

if TYPE_CHECKING:
    from musaned.accounts.actor import Actor
    from musaned.accounts.models import User

IN_APP = "in_app"
CHANNELS = (IN_APP, Channel.EMAIL.value, Channel.SMS.value)
EVENT_NAME = re.compile(r"[a-z][a-z0-9_]*")
E164 = re.compile(r"\+[1-9]\d{7,14}")
# How long one delivery attempt may hold a message; longer than any gateway call can take.
CLAIM_SECONDS = 120


def _render(template: str, context: dict[str, Any]) -> str:
    return render_to_string(template, context).strip()


@transaction.atomic
def notify(
    *,
    recipient: User,
    event: str,
    context: dict[str, Any],
    url: str = "",
    sms_to: str | None = None,
    channels: tuple[str, ...] = CHANNELS,
) -> Notification | None:
    """Tell `recipient` about `event` on each of `channels`, in the recipient's preferred language.

    Texts come from templates/notifications/<event>/: subject.txt (title and e-mail subject), body.txt
    (inbox and e-mail) and sms.txt. `url` is a path on the site (or a full address): the inbox links to
    it and the e-mail shows it in full. The SMS goes only when `sms_to` is given. Pass translatable labels
    lazily (gettext_lazy, a TextChoices' `.label`) so they too render in the recipient's language.
    Returns the inbox notification, or None when "in_app" is not among the channels.
    """
    unknown = set(channels) - set(CHANNELS)
    if unknown or not EVENT_NAME.fullmatch(event):
        raise ValueError(f"notify: unknown event {event!r} or channels {sorted(unknown)}")
    wants_sms = Channel.SMS in channels and bool(sms_to)
    link = url if not url or urlsplit(url).scheme else settings.SITE_URL.rstrip("/") + url
    context = {**context, "recipient": recipient, "url": url, "link": link}
    with translation.override(recipient.preferred_language or settings.LANGUAGE_CODE):
        subject = " ".join(_render(f"notifications/{event}/subject.txt", context).split())
        body = _render(f"notifications/{event}/body.txt", context)
        email_body = "\n\n".join([body, _render("notifications/email_footer.txt", context)])
        sms_text = _render(f"notifications/{event}/sms.txt", context) if wants_sms else ""

    notification = None
    if IN_APP in channels:
        notification = Notification.objects.create(
            recipient=recipient, event=event, title=subject[:200], body=body, url=url
        )
    messages = []
    if Channel.EMAIL in channels and recipient.email:
        messages.append(
            _queue(
                channel=Channel.EMAIL,
                to=recipient.email,
                subject=subject[:200],
                body=email_body,
                recipient=recipient,
                notification=notification,
            )
        )
    if wants_sms:
        messages.append(
            _queue(
                channel=Channel.SMS, to=sms_to, body=sms_text, recipient=recipient, notification=notification
            )
        )
    sent_on = ([IN_APP] if notification else []) + [message.channel for message in messages]
    audit_record(
        action="notified",
        actor=None,
        target=notification or recipient,
        changes={"event": event, "channels": sent_on},
    )
    return notification


@transaction.atomic
def send_sms(*, to: str, text: str, recipient: User | None = None) -> Message:
    """Send one text as it is (a one-time code, say): queued, delivered and retried like any message.

    The audit trail notes that a text went out, never what it said.
    """
    if not E164.fullmatch(to or ""):
        raise ValueError("send_sms: `to` must be an international number such as +9665XXXXXXXX")
    message = _queue(channel=Channel.SMS, to=to, body=text, recipient=recipient)
    audit_record(action="sms_queued", actor=None, target=message)
    return message


def _queue(
    *, channel: str, to: str, body: str, subject: str = "", recipient=None, notification=None
) -> Message:
    from .tasks import deliver_message

    message = Message.objects.create(
        channel=channel, to=to, subject=subject, body=body, recipient=recipient, notification=notification
    )
    # robust: a broker that is down must not undo the committed request; the sweeper sends it later.
    transaction.on_commit(partial(deliver_message.delay, message.pk), robust=True)
    return message


@transaction.atomic
def notification_mark_read(*, actor: Actor, notification: Notification) -> Notification:
    """The person has seen it. Only the person it was sent to can say so."""
    if notification.recipient_id != actor.user.pk:
        raise PermissionDenied(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        audit_record(action="notification_read", actor=actor, target=notification)
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: Actor) -> int:
    """Everything in the signed-in person's inbox is seen; returns how many were unread."""
    count = Notification.objects.filter(recipient=actor.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if count:
        audit_record(action="notifications_read", actor=actor, target=actor.user, changes={"count": count})
    return count


@transaction.atomic
def message_claim(*, message_id: int) -> Message | None:
    """Reserve a queued message for one delivery attempt; None if it is sent, failed or being sent.

    A single conditional UPDATE: of two workers running the same delivery, exactly one wins.
    """
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS), updated_at=now)
    )
    return Message.objects.get(pk=message_id) if claimed else None


@transaction.atomic
def message_record_sent(*, message: Message, provider_id: str) -> Message:
    """The provider took the message: it is never sent again."""
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT,
        provider_id=provider_id[:64],
        attempts=F("attempts") + 1,
        last_error="",
        sent_at=now,
        updated_at=now,
        claimed_until=None,
    )
    message.refresh_from_db()
    audit_record(
        action="message_sent",
        actor=None,
        target=message,
        to_state=MessageStatus.SENT,
        changes={"channel": message.channel},
    )
    return message


@transaction.atomic
def message_record_failure(*, message: Message, error: str, final: bool) -> Message:
    """One attempt failed: keep the error; the message stays queued for the next attempt unless `final`."""
    status = MessageStatus.FAILED if final else MessageStatus.QUEUED
    Message.objects.filter(pk=message.pk).update(
        status=status,
        attempts=F("attempts") + 1,
        last_error=error[: Message.ERROR_MAX_LENGTH],
        updated_at=timezone.now(),
        claimed_until=None,
    )
    message.refresh_from_db()
    if final:
        audit_record(
            action="message_failed",
            actor=None,
            target=message,
            from_state=MessageStatus.QUEUED,
            to_state=MessageStatus.FAILED,
            changes={"channel": message.channel, "attempts": message.attempts, "error": message.last_error},
        )
    return message
