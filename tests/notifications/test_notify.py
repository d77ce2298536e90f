"""notify() writes to the inbox, e-mail and SMS in the recipient's own language, and sends after commit."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from musaned.accounts.models import AuditEvent, DelegationScope
from musaned.integrations.models import FakeOutbox
from musaned.notifications.models import Message, Notification
from musaned.notifications.services import notify, notify_worker
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MOBILE = "+966551234567"


def _delegation_granted(recipient, **extra):
    return notify(
        recipient=recipient,
        event="delegation_granted",
        context={
            "principal": "Ali & Sons",
            "scope": DelegationScope.RECRUITMENT,
            "valid_until": dt.date(2026, 12, 31),
        },
        url="/accounts/delegations/",
        sms_to=MOBILE,
        **extra,
    )


def test_an_arabic_speaker_gets_arabic_dates_and_labels(django_capture_on_commit_callbacks):
    recipient = UserFactory(preferred_language="ar", first_name="Sara")

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notification = _delegation_granted(recipient)

    assert "ديسمبر 2026" in notification.body and "هـ" in notification.body
    assert "December" not in notification.body
    sms = FakeOutbox.objects.get(channel="sms")
    assert "ديسمبر 2026" in sms.body and sms.to == MOBILE


def test_an_english_speaker_gets_english_whatever_the_current_language(django_capture_on_commit_callbacks):
    recipient = UserFactory(preferred_language="en", first_name="Sara")

    with translation.override("ar"), django_capture_on_commit_callbacks(execute=True):
        notification = _delegation_granted(recipient)
        assert translation.get_language() == "ar"

    assert notification.title == "You can now act for Ali & Sons"
    assert "Hello Sara," in notification.body
    assert "for: Recruitment requests and contracts, until" in notification.body
    assert "December 2026" in notification.body and "AH" in notification.body
    email = FakeOutbox.objects.get(channel="email")
    assert (email.to, email.subject) == (recipient.email, notification.title)
    assert email.body.startswith(notification.body)


def test_one_message_per_channel_and_sms_only_with_a_number(django_capture_on_commit_callbacks):
    recipient = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=recipient, event="identity_confirmed", context={})
    assert list(Message.objects.values_list("channel", "to", "status")) == [
        ("email", recipient.email, "sent")
    ]

    with django_capture_on_commit_callbacks(execute=True):
        returned = notify(
            recipient=recipient,
            event="phone_code",
            context={"code": "123456", "minutes": 5},
            sms_to=MOBILE,
            channels=("sms",),
        )
    assert returned is None
    assert Notification.objects.count() == 1
    sms = Message.objects.get(channel="sms")
    assert "123456" in sms.body and sms.recipient == recipient and sms.notification is None


def test_nothing_is_sent_before_the_transaction_commits():
    notify(recipient=UserFactory(), event="identity_confirmed", context={}, sms_to=MOBILE)

    assert Message.objects.filter(status="queued").count() == 2
    assert not FakeOutbox.objects.exists()


def test_the_email_carries_the_full_link(settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://musaned.example"
    recipient = UserFactory(preferred_language="en")

    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipient=recipient,
            event="identity_confirmed",
            context={},
            url="/household/",
            channels=("email",),
        )
        notify(
            recipient=recipient,
            event="identity_confirmed",
            context={},
            url="https://musaned.example/household/",
            channels=("email",),
        )

    bodies = list(FakeOutbox.objects.values_list("body", flat=True))
    assert all("https://musaned.example/household/\n" in body for body in bodies)


CONTEXTS = {
    "phone_code": {"code": "123456", "minutes": 5},
    "identity_confirmed": {},
    "identity_rejected": {"problem": "The date of birth does not match."},
    "account_locked": {
        "user": "Sara",
        "email": "sara@example.sa",
        "reason": "",
        "locked_at": "2026-11-29T10:00:00+00:00",
    },
    "security_alert": {
        "user": "Sara",
        "email": "sara@example.sa",
        "reason": "I clicked a link",
        "locked_at": "2026-11-29T10:00:00+00:00",
    },
    "delegation_granted": {"principal": "Ali", "scope": "recruitment", "valid_until": "2026-12-31"},
    "delegation_revoked": {"principal": "Ali", "scope": "complaints", "valid_until": "2026-12-31"},
}


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("event", sorted(CONTEXTS))
def test_every_event_has_its_three_texts(event, language):
    recipient = UserFactory(preferred_language=language)

    notification = notify(recipient=recipient, event=event, context=CONTEXTS[event], sms_to=MOBILE)

    assert notification.title and "\n" not in notification.title
    assert notification.body.strip()
    sms = Message.objects.get(channel="sms")
    assert sms.body.strip() and len(sms.body) <= 160
    for text in (notification.title, notification.body, sms.body):
        assert "{" not in text and "&amp;" not in text


def test_moments_are_written_in_local_time():
    recipient = UserFactory(preferred_language="en")
    notification = notify(recipient=recipient, event="security_alert", context=CONTEXTS["security_alert"])
    assert "13:00" in notification.body  # 10:00 UTC is 13:00 in Riyadh
    assert "What they wrote: I clicked a link" in notification.body


def test_the_audit_trail_notes_the_notification_not_its_text():
    recipient = UserFactory()
    notification = notify(
        recipient=recipient, event="phone_code", context={"code": "987654", "minutes": 5}, sms_to=MOBILE
    )

    event = AuditEvent.objects.get(action="notified")
    assert event.target == notification and event.actor is None
    assert event.changes == {"event": "phone_code", "channels": ["in_app", "email", "sms"]}
    assert "987654" not in str(event.changes)


@pytest.mark.parametrize(
    ("event", "channels"),
    [("../base", ("in_app",)), ("identity_confirmed", ("fax",))],
)
def test_unknown_events_and_channels_are_refused(event, channels):
    with pytest.raises(ValueError):
        notify(recipient=UserFactory(), event=event, context={}, channels=channels)
    assert not Notification.objects.exists()


def test_a_worker_is_texted_in_her_language_and_never_at_a_local_number(django_capture_on_commit_callbacks):
    context = {"reference": "RR-1", "occurred_on": "2026-05-19"}
    with django_capture_on_commit_callbacks(execute=True):
        message = notify_worker(to=MOBILE, event="delivery_departed_worker", language="id", context=context)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at <= timezone.now()) == ("sent", 1, True)
    outbox = FakeOutbox.objects.get()
    assert (outbox.to, outbox.body, outbox.provider_id) == (MOBILE, message.body, message.provider_id)
    assert "RR-1" in outbox.body and "Musaned" in outbox.body
    assert (
        notify_worker(to="0551234567", event="delivery_departed_worker", language="id", context=context)
        is None
    )
    assert AuditEvent.objects.filter(action="worker_notified").count() == 1
