"""Telling people what happened: in the inbox, by e-mail and by SMS, in each person's own language."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from musaned.accounts.services import audit_record
from musaned.policy.services import rules_in_force

from . import texts
from .models import (
    Channel,
    Message,
    MessageStatus,
    Notification,
    NotificationPreference,
    NotificationTemplate,
)

if TYPE_CHECKING:
    from musaned.accounts.actor import Actor
    from musaned.accounts.models import User

IN_APP = "in_app"
CHANNELS = (IN_APP, Channel.EMAIL.value, Channel.SMS.value)
E164 = re.compile(r"\+[1-9]\d{7,14}")
# How long one delivery attempt may hold a message; longer than any gateway call can take.
CLAIM_SECONDS = 120


def text_for(*, event: str, language: str) -> tuple[texts.Text, str]:
    """The event's words in `language` (or English, then Arabic, when it has none) and the language used.

    An admin's copy wins over the shipped file.
    """
    chain = list(dict.fromkeys([language, "en", settings.LANGUAGE_CODE]))
    stored = {
        row.language: row
        for row in NotificationTemplate.objects.filter(event=event, language__in=chain).only(
            "language", "subject", "body", "sms"
        )
    }
    for code in chain:
        if code in stored:
            row = stored[code]
            return texts.Text(subject=row.subject, body=row.body, sms=row.sms), code
        shipped = texts.shipped(event, code)
        if shipped is not None:
            return shipped, code
    raise ValueError(f"no text for event {event!r}")


def render_text(*, event: str, language: str, context: dict[str, Any]) -> texts.Text:
    """Render all three parts in the recipient's language; the subject on one line."""
    text, used = text_for(event=event, language=language)
    # Dates and amounts in a language the site does not speak are written as in English.
    with translation.override(used if used in dict(settings.LANGUAGES) else "en"):
        return texts.Text(
            subject=" ".join(texts.render(text.subject, context).split())[:200],
            body=texts.render(text.body, context),
            sms=texts.render(text.sms, context),
        )


def _event(event: str) -> texts.Event:
    info = texts.events().get(event)
    if info is None:
        raise ValueError(f"notify: unknown event {event!r}")
    return info


def _wanted(recipient: User, info: texts.Event, channels: tuple[str, ...]) -> tuple[str, ...]:
    """The channels left once the person's preference for the topic is applied; security never drops."""
    if info.mandatory:
        return channels
    preference = NotificationPreference.objects.filter(user=recipient, topic=info.topic).first()
    if preference is None:
        return channels
    allowed = {IN_APP: True, Channel.EMAIL.value: preference.email, Channel.SMS.value: preference.sms}
    return tuple(channel for channel in channels if allowed[channel])


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
    """Tell `recipient` about `event` on each of `channels` they have not switched off, in their language.

    Texts come from the event's notification texts (see texts.py): the subject is the inbox title and the
    e-mail's subject, the body is the inbox and e-mail text, the SMS goes only when `sms_to` is given. `url`
    is a path on the site (or a full address): the inbox links to it and the e-mail shows it in full. Pass
    translatable labels lazily (gettext_lazy, a TextChoices' `.label`) so they render in the recipient's
    language. Returns the inbox notification, or None when "in_app" is not among the channels.
    """
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        raise ValueError(f"notify: unknown channels {sorted(unknown)}")
    info = _event(event)
    channels = _wanted(recipient, info, channels)
    wants_sms = Channel.SMS in channels and bool(sms_to)
    link = url if not url or urlsplit(url).scheme else settings.SITE_URL.rstrip("/") + url
    name = recipient.get_full_name() or recipient.email
    context = {**context, "recipient_name": name, "link": link}
    language = recipient.preferred_language or settings.LANGUAGE_CODE
    text = render_text(event=event, language=language, context=context)
    with translation.override(language):
        footer = render_to_string("notifications/email_footer.txt", context).strip()

    notification = None
    if IN_APP in channels:
        notification = Notification.objects.create(
            recipient=recipient, event=event, title=text.subject, body=text.body, url=url
        )
    messages = []
    if Channel.EMAIL in channels and recipient.email:
        messages.append(
            _queue(
                channel=Channel.EMAIL,
                to=recipient.email,
                subject=text.subject,
                body="\n\n".join([text.body, footer]),
                recipient=recipient,
                notification=notification,
                urgent=info.mandatory,
            )
        )
    if wants_sms and text.sms:
        messages.append(
            _queue(
                channel=Channel.SMS,
                to=sms_to,
                body=text.sms,
                recipient=recipient,
                notification=notification,
                urgent=info.mandatory,
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
def notify_worker(*, to: str, event: str, language: str, context: dict[str, Any]) -> Message | None:
    """Text a worker, who has no account, in her own language (English when the event has none in it).

    Returns the queued message, or None when the number is not international or the event has no SMS text.
    """
    _event(event)
    if not E164.fullmatch(to or ""):
        return None
    text = render_text(event=event, language=language, context={"recipient_name": "", "link": "", **context})
    if not text.sms:
        return None
    message = _queue(channel=Channel.SMS, to=to, body=text.sms)
    audit_record(action="worker_notified", actor=None, target=message, changes={"event": event})
    return message


def _queue(
    *,
    channel: str,
    to: str,
    body: str,
    subject: str = "",
    recipient=None,
    notification=None,
    urgent: bool = False,
) -> Message:
    from .tasks import deliver_message

    message = Message.objects.create(
        channel=channel,
        to=to,
        subject=subject,
        body=body,
        recipient=recipient,
        notification=notification,
        urgent=urgent,
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


@dataclass(frozen=True)
class Claim:
    """The outcome of asking to send a message now: the message to send, or until when it waits."""

    message: Message | None = None
    held_until: dt.datetime | None = None


def _hourly_limit(channel: str) -> int:
    rules = rules_in_force(on=timezone.localdate())
    return rules.sms_per_hour if channel == Channel.SMS else rules.emails_per_hour


def _lock_destination(channel: str, to: str) -> None:
    """Serialise claims for one number or address, so two workers cannot both take the hour's last place.

    SQLite already lets one writer at a time; PostgreSQL takes a lock for this transaction.
    """
    if connection.vendor == "postgresql":
        key = int.from_bytes(
            hashlib.blake2b(f"{channel}:{to}".encode(), digest_size=8).digest(), "big", signed=True
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


@transaction.atomic
def message_claim(*, message_id: int) -> Claim:
    """Reserve a queued message for one delivery attempt, within the hourly limit of its destination.

    Nothing to send when it is sent, failed or being sent. Over the limit (urgent messages excepted) it is
    held until the oldest message of the last hour to the same destination is an hour old. The claim is a
    single conditional UPDATE: of two workers running the same delivery, exactly one wins.
    """
    now = timezone.now()
    message = Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED).first()
    if message is None:
        return Claim()
    if not message.urgent:
        _lock_destination(message.channel, message.to)
        window = dt.timedelta(hours=1)
        recent = (
            Message.objects.filter(channel=message.channel, to=message.to)
            .filter(Q(sent_at__gte=now - window) | Q(status=MessageStatus.QUEUED, claimed_until__gte=now))
            .exclude(pk=message.pk)
        )
        taken = list(recent.values_list("sent_at", flat=True))
        if len(taken) >= _hourly_limit(message.channel):
            held_until = min(sent_at or now for sent_at in taken) + window
            Message.objects.filter(pk=message.pk).update(held_until=held_until, updated_at=now)
            return Claim(held_until=held_until)
    claimed = (
        Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS), held_until=None, updated_at=now)
    )
    return Claim(message=Message.objects.get(pk=message_id)) if claimed else Claim()


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


def _require_text_editor(actor: Actor) -> None:
    if not actor.user.has_perm("notifications.change_notificationtemplate"):
        raise PermissionDenied(_("You may not change notification texts."))


def text_errors(*, event: str, text: texts.Text) -> dict[str, str]:
    """What is wrong with an edited text, per part: bad syntax, a placeholder the event does not have, or a
    text that fails on the event's sample."""
    errors = texts.compile_errors(text)
    context = texts.sample_context(event)
    for part, source in text.as_dict().items():
        if part in errors:
            continue
        try:
            unknown = texts.unknown_variables(source, context)
        except Exception as exc:  # a filter that fails on the sample fails on real cases too
            errors[part] = str(exc)
            continue
        if unknown:
            errors[part] = _("Unknown placeholder: %(names)s. This event offers: %(offered)s.") % {
                "names": ", ".join(unknown),
                "offered": ", ".join(sorted(context)),
            }
    return errors


def text_languages() -> list[str]:
    """Languages a text may be written in: the site's, and every source country's worker language."""
    from musaned.policy.models import Country

    worker = Country.objects.values_list("worker_language", flat=True).distinct()
    return sorted({code for code, _name in settings.LANGUAGES} | set(worker))


@transaction.atomic
def notification_template_save(
    *, actor: Actor, event: str, language: str, subject: str, body: str, sms: str
) -> NotificationTemplate:
    """An admin writes an event's text in one language (a new worker language, say); it is sent from now
    on, and kept when the platform ships a new version of the text."""
    _require_text_editor(actor)
    if event not in texts.events():
        raise ValidationError({"event": _("There is no such event.")})
    if language not in text_languages():
        raise ValidationError(
            {"language": _("Texts can be written in: %(codes)s.") % {"codes": ", ".join(text_languages())}}
        )
    text = texts.Text(subject=subject.strip(), body=body.strip(), sms=sms.strip())
    errors = text_errors(event=event, text=text)
    if errors:
        raise ValidationError(errors)
    template, created = NotificationTemplate.objects.select_for_update().get_or_create(
        event=event, language=language
    )
    before = texts.Text(subject=template.subject, body=template.body, sms=template.sms).as_dict()
    template.subject, template.body, template.sms = text.subject, text.body, text.sms
    template.edited_by, template.edited_at = actor.user, timezone.now()
    template.save()
    changes = {
        part: {"from": before[part], "to": value}
        for part, value in text.as_dict().items()
        if before[part] != value
    }
    audit_record(action="notification_text_edited", actor=actor, target=template, changes=changes)
    return template


@transaction.atomic
def notification_template_restore(*, actor: Actor, template: NotificationTemplate) -> NotificationTemplate:
    """Back to the text the platform ships, which then follows the platform's corrections again."""
    _require_text_editor(actor)
    shipped = texts.shipped(template.event, template.language)
    if shipped is None:
        raise ValidationError(_("The platform ships no text in this language: edit it instead."))
    template = NotificationTemplate.objects.select_for_update().get(pk=template.pk)
    template.subject, template.body, template.sms = shipped.subject, shipped.body, shipped.sms
    template.edited_by, template.edited_at = None, None
    template.save()
    audit_record(action="notification_text_restored", actor=actor, target=template)
    return template


@transaction.atomic
def notification_texts_sync() -> int:
    """Store every shipped text: new ones are added, unedited ones follow the files, edited ones stay.

    Runs after every migrate, so the admin lists every event in every shipped language.
    """
    stored = {(row.event, row.language): row for row in NotificationTemplate.objects.all()}
    changed = 0
    for event in texts.events():
        for language in texts.shipped_languages(event):
            text = texts.shipped(event, language)
            row = stored.get((event, language))
            if row is None:
                NotificationTemplate.objects.create(event=event, language=language, **text.as_dict())
                changed += 1
            elif row.edited_at is None and texts.Text(row.subject, row.body, row.sms) != text:
                row.subject, row.body, row.sms = text.subject, text.body, text.sms
                row.save(update_fields=["subject", "body", "sms"])
                changed += 1
    return changed


@transaction.atomic
def notification_preferences_save(*, actor: Actor, choices: dict[str, dict[str, bool]]) -> list[str]:
    """The signed-in person chooses, per topic, e-mail and text messages on or off; returns the topics
    changed. Their own choice: a delegate sets their own, never the principal's."""
    from .selectors import topics_for

    user = actor.user
    allowed = set(topics_for(user))
    unknown = set(choices) - allowed
    if unknown:
        raise ValidationError(_("Unknown topic: %(topics)s.") % {"topics": ", ".join(sorted(unknown))})
    changed = []
    for topic, wanted in choices.items():
        row, _created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user, topic=topic
        )
        new = {"email": bool(wanted.get("email")), "sms": bool(wanted.get("sms"))}
        if {"email": row.email, "sms": row.sms} != new:
            audit_record(
                action="notification_preference_changed",
                actor=actor,
                target=user,
                changes={"topic": topic, "from": {"email": row.email, "sms": row.sms}, "to": new},
            )
            row.email, row.sms = new["email"], new["sms"]
            row.save()
            changed.append(topic)
    return changed
