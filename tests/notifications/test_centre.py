"""The notification centre: texts admins edit per event and language, each person's choices, the hourly
limit per number or address, and the delivery status shown in the inbox."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent
from musaned.integrations.models import FakeOutbox
from musaned.notifications import texts
from musaned.notifications.models import Message, NotificationPreference, NotificationTemplate
from musaned.notifications.services import (
    message_claim,
    notification_preferences_save,
    notification_template_restore,
    notification_template_save,
    notification_texts_sync,
    notify,
    notify_worker,
)
from musaned.notifications.tasks import deliver_message, release_held_messages
from musaned.policy.models import RuleSet
from tests.factories import UserFactory, with_second_factor

pytestmark = pytest.mark.django_db

MOBILE = "+966551234567"
VISA = {"number": "1234567890", "reference": "VA-2026-000001", "valid_until": "2028-11-29"}


def _admin():
    return Actor.direct(UserFactory(is_staff=True, is_superuser=True))


def _visa_issued(recipient, **extra):
    return notify(
        recipient=recipient, event="visa_issued", context=VISA, url="/visas/1/", sms_to=MOBILE, **extra
    )


# Texts


def test_every_shipped_text_is_in_the_admin_after_migrate():
    stored = set(NotificationTemplate.objects.values_list("event", "language"))
    shipped = {(event, language) for event in texts.events() for language in texts.shipped_languages(event)}
    assert shipped and shipped <= stored


def test_an_admins_edit_is_what_people_get_and_is_audited(django_capture_on_commit_callbacks):
    template = NotificationTemplate.objects.get(event="visa_issued", language="en")
    notification_template_save(
        actor=_admin(),
        event="visa_issued",
        language="en",
        subject="Visa {{ number }} granted",
        body="Dear {{ recipient_name }}, visa {{ number }} is yours.",
        sms="Visa {{ number }} granted.",
    )

    with django_capture_on_commit_callbacks(execute=True):
        notification = _visa_issued(UserFactory(preferred_language="en", first_name="Sara"))

    assert notification.title == "Visa 1234567890 granted"
    assert notification.body.startswith("Dear Sara, visa 1234567890 is yours.")
    assert FakeOutbox.objects.get(channel="sms").body == "Visa 1234567890 granted."
    template.refresh_from_db()
    assert template.edited_at is not None
    event = AuditEvent.objects.get(action="notification_text_edited")
    assert event.changes["subject"]["to"] == "Visa {{ number }} granted"


def test_arabic_readers_keep_the_arabic_text_when_english_is_edited():
    notification_template_save(
        actor=_admin(), event="visa_issued", language="en", subject="Changed", body="Changed", sms=""
    )
    notification = _visa_issued(UserFactory(preferred_language="ar"))
    assert notification.title != "Changed" and "1234567890" in notification.title


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Visa {{ numbr }}", "numbr"),
        ("Visa {% if number %}", "endif"),
        ("Visa {% include 'base.html' %}", "base.html"),
    ],
)
def test_a_broken_text_is_refused_with_its_reason_and_nothing_changes(body, message):
    before = NotificationTemplate.objects.get(event="visa_issued", language="en")

    with pytest.raises(ValidationError) as refused:
        notification_template_save(
            actor=_admin(), event="visa_issued", language="en", subject="ok", body=body, sms=""
        )

    assert message in str(refused.value.message_dict["body"])
    after = NotificationTemplate.objects.get(pk=before.pk)
    assert (after.subject, after.body, after.edited_at) == (before.subject, before.body, None)


def test_only_admins_change_texts():
    with pytest.raises(PermissionDenied):
        notification_template_save(
            actor=Actor.direct(UserFactory()),
            event="visa_issued",
            language="en",
            subject="x",
            body="x",
            sms="",
        )


def test_a_new_worker_language_can_be_added_but_not_an_unknown_code():
    notification_template_save(
        actor=_admin(), event="visa_issued", language="id", subject="Visa {{ number }}", body="Visa", sms=""
    )
    assert NotificationTemplate.objects.filter(event="visa_issued", language="id").exists()
    with pytest.raises(ValidationError):
        notification_template_save(
            actor=_admin(), event="visa_issued", language="xx", subject="x", body="x", sms=""
        )


def test_restoring_brings_back_the_shipped_text_and_sync_then_follows_the_files():
    template = NotificationTemplate.objects.get(event="visa_issued", language="en")
    shipped = texts.shipped("visa_issued", "en")
    notification_template_save(
        actor=_admin(), event="visa_issued", language="en", subject="Mine", body="Mine", sms=""
    )

    assert notification_texts_sync() == 0  # an edited text is never overwritten
    template.refresh_from_db()
    assert template.subject == "Mine"

    notification_template_restore(actor=_admin(), template=template)
    template.refresh_from_db()
    assert (template.subject, template.body, template.edited_by) == (shipped.subject, shipped.body, None)

    NotificationTemplate.objects.filter(pk=template.pk).update(subject="out of date")
    assert notification_texts_sync() == 1  # an unedited text follows the shipped file
    template.refresh_from_db()
    assert template.subject == shipped.subject


def test_admin_change_page_previews_the_text_and_lists_its_placeholders(client):
    admin = with_second_factor(UserFactory(is_staff=True, is_superuser=True))
    client.force_login(admin)
    template = NotificationTemplate.objects.get(event="visa_issued", language="ar")

    page = client.get(reverse("admin:notifications_notificationtemplate_change", args=[template.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "{{ number }}" in html and "6043187725" in html and 'dir="rtl"' in html.replace("'", '"')


def test_admin_form_shows_a_broken_text_as_a_form_error(client):
    admin = with_second_factor(UserFactory(is_staff=True, is_superuser=True))
    client.force_login(admin)
    template = NotificationTemplate.objects.get(event="visa_issued", language="en")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])

    page = client.post(url, {"subject": "x", "body": "{{ nope }}", "sms": ""})

    assert page.status_code == 200 and "nope" in page.content.decode()
    template.refresh_from_db()
    assert template.edited_at is None


# Workers


def test_a_worker_gets_her_own_language_and_english_when_there_is_none(django_capture_on_commit_callbacks):
    event = next(name for name, info in texts.events().items() if info.audience == "worker")
    context = texts.sample_context(event)
    with django_capture_on_commit_callbacks(execute=True):
        tagalog = notify_worker(to="+639171234567", event=event, language="tl", context=context)
        nepali = notify_worker(to="+9779812345678", event=event, language="ne", context=context)

    with translation.override("en"):
        english = texts.render(texts.shipped(event, "en").sms, context)
    assert tagalog.body != english
    assert nepali.body == english
    assert FakeOutbox.objects.filter(channel="sms").count() == 2


# Preferences


def test_a_household_switches_off_visa_emails_but_keeps_the_inbox(django_capture_on_commit_callbacks):
    household = UserFactory(roles=["household"])
    notification_preferences_save(
        actor=Actor.direct(household), choices={"visa": {"email": False, "sms": True}}
    )

    with django_capture_on_commit_callbacks(execute=True):
        notification = _visa_issued(household)

    assert notification is not None
    assert list(Message.objects.values_list("channel", flat=True)) == ["sms"]


def test_security_messages_come_whatever_the_choice(django_capture_on_commit_callbacks):
    user = UserFactory(roles=["household"])
    notification_preferences_save(
        actor=Actor.direct(user), choices={"account": {"email": False, "sms": False}}
    )

    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=user, event="phone_code", context={"code": "123456", "minutes": 10}, sms_to=MOBILE)

    assert sorted(Message.objects.values_list("channel", flat=True)) == ["email", "sms"]
    assert Message.objects.filter(urgent=True).count() == 2


def test_preferences_page_saves_the_signed_in_persons_choices_only(client):
    household, other = UserFactory(roles=["household"]), UserFactory(roles=["household"])
    client.force_login(household)
    url = reverse("notifications:preferences")

    page = client.get(url)
    assert page.status_code == 200 and 'name="visa-email"' in page.content.decode()
    assert 'name="digest-email"' not in page.content.decode()  # an office's topic

    client.post(url, {"visa-sms": "on", "delivery-email": "on", "delivery-sms": "on", "digest-email": "on"})

    visa = NotificationPreference.objects.get(user=household, topic="visa")
    assert (visa.email, visa.sms) == (False, True)
    assert not NotificationPreference.objects.filter(user=household, topic="digest").exists()
    assert not NotificationPreference.objects.filter(user=other).exists()


def test_office_staff_can_choose_the_daily_summary(client):
    staff = with_second_factor(UserFactory(roles=["office_staff"]))
    client.force_login(staff)
    assert 'name="digest-email"' in client.get(reverse("notifications:preferences")).content.decode()


def test_preferences_page_needs_sign_in(client):
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 302 and "login" in page["Location"]


# Hourly limit


def _limit_sms_to(count):
    RuleSet.objects.update(sms_per_hour=count)


def test_texts_over_the_hourly_limit_wait_for_the_hour_and_are_then_sent():
    _limit_sms_to(2)
    household = UserFactory(roles=["household"])
    for _ in range(3):
        _visa_issued(household, channels=("sms",))  # under the `db` fixture: queued, not yet delivered
    first, second, third = Message.objects.order_by("pk")

    for message in (first, second, third):
        deliver_message.delay(message.pk)

    assert FakeOutbox.objects.count() == 2
    third.refresh_from_db()
    first.refresh_from_db()
    assert third.status == "queued" and third.held_until == first.sent_at + dt.timedelta(hours=1)
    assert third.attempts == 0  # waiting is no failed attempt

    assert release_held_messages() == 0  # its hour has not passed
    Message.objects.filter(pk__in=[first.pk, second.pk]).update(
        sent_at=timezone.now() - dt.timedelta(minutes=61)
    )
    Message.objects.filter(pk=third.pk).update(held_until=timezone.now())
    assert release_held_messages() == 1
    third.refresh_from_db()
    assert third.status == "sent" and third.held_until is None
    assert FakeOutbox.objects.count() == 3


def test_the_limit_is_per_number():
    _limit_sms_to(1)
    household = UserFactory(roles=["household"])
    _visa_issued(household, channels=("sms",))
    notify(recipient=household, event="visa_issued", context=VISA, sms_to="+966559999999", channels=("sms",))

    for message in Message.objects.all():
        deliver_message.delay(message.pk)

    assert FakeOutbox.objects.count() == 2


def test_security_codes_are_never_held():
    _limit_sms_to(1)
    household = UserFactory(roles=["household"])
    _visa_issued(household, channels=("sms",))
    notify(recipient=household, event="phone_code", context={"code": "1", "minutes": 5}, sms_to=MOBILE)
    for message in Message.objects.filter(channel="sms").order_by("pk"):
        deliver_message.delay(message.pk)

    assert FakeOutbox.objects.filter(channel="sms").count() == 2


def test_a_held_message_is_not_claimed_by_another_worker_either():
    _limit_sms_to(1)
    household = UserFactory(roles=["household"])
    _visa_issued(household, channels=("sms",))
    _visa_issued(household, channels=("sms",))
    first, second = Message.objects.order_by("pk")
    deliver_message.delay(first.pk)

    claim = message_claim(message_id=second.pk)

    assert claim.message is None and claim.held_until is not None


# Inbox


def test_the_inbox_shows_how_each_copy_went_in_bounded_queries(client, django_assert_max_num_queries):
    household = UserFactory(roles=["household"], preferred_language="en")
    client.force_login(household)
    client.cookies["django_language"] = "en"
    _visa_issued(household)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("notifications:inbox"))
    for _ in range(11):
        _visa_issued(household)
    deliver_message.delay(Message.objects.filter(channel="sms").first().pk)

    with django_assert_max_num_queries(len(one)):
        page = client.get(reverse("notifications:inbox"))

    html = page.content.decode()
    assert "SMS: Sent" in html and "E-mail: Waiting to be sent" in html
