"""Every visa message renders for its reader, in Arabic and in English, on each channel."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from musaned.notifications.models import Message, Notification
from musaned.notifications.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MOBILE = "+966551234567"
DUE = timezone.make_aware(dt.datetime(2025, 3, 10, 14, 30))
VALID_UNTIL = dt.date(2027, 3, 9)

EVENTS = {
    "visa_bill_issued": {"amount": Decimal("2000.00"), "bill_number": "418203957164", "due": DUE},
    "visa_under_review": {"decision_due": DUE},
    "visa_issued": {"valid_until": VALID_UNTIL},
    "visa_rejected": {"reason": "income_mismatch", "note": "The certificate says 9,000 SAR."},
    "visa_activated": {},
    "visa_cancelled": {"refund_amount": Decimal("2000.00")},
    "visa_refunded": {"amount": Decimal("2000.00")},
    "visa_expired": {},
    "visa_replacement_issued": {"replaces": "6123456789"},
    "visa_decision_late": {"decision_due": DUE},
}
# What each message must show, beside the application number.
SHOWN = {
    "visa_bill_issued": ["418203957164", "2,000"],
    "visa_issued": ["6987654321"],
    "visa_rejected": ["The certificate says 9,000 SAR."],
    "visa_activated": ["6987654321"],
    "visa_cancelled": ["2,000"],
    "visa_refunded": ["2,000"],
    "visa_expired": ["6987654321"],
    "visa_replacement_issued": ["6123456789"],
}
DATED = {"visa_bill_issued", "visa_under_review", "visa_issued", "visa_decision_late"}


def send(event: str, language: str, **extra):
    user = UserFactory(preferred_language=language, first_name="Noura")
    context = {"reference": "VA-20418377519", "number": "6987654321", **EVENTS[event], **extra}
    notification = notify(recipient=user, event=event, context=context, url="/visas/", sms_to=MOBILE)
    email = Message.objects.get(notification=notification, channel="email")
    sms = Message.objects.get(notification=notification, channel="sms")
    return notification, email, sms


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("event", sorted(EVENTS))
def test_each_visa_message_renders_with_its_facts(event, language):
    notification, email, sms = send(event, language)

    texts = [notification.title, notification.body, sms.body]
    for text in texts:
        assert text.strip()
        assert "{" not in text and "%" not in text, text
    assert "Noura" in notification.body
    assert notification.title == email.subject
    assert email.body.startswith(notification.body)
    assert len(sms.body) <= 320
    whole = " ".join(texts)
    assert "VA-20418377519" in whole or event in {"visa_activated", "visa_expired"}
    for fact in SHOWN.get(event, []):
        assert fact in notification.body, (event, fact)
    if event in DATED:
        # dates are written in the reader's language, Hijri first
        assert ("هـ" in notification.body) == (language == "ar")
        assert ("AH" in notification.body) == (language == "en")


def test_dates_and_amounts_that_crossed_a_task_as_text_read_the_same():
    as_objects, _email, _sms = send("visa_bill_issued", "en")
    as_text, _email, _sms = send(
        "visa_bill_issued", "en", amount="2000.00", due=DUE.isoformat(), bill_number="418203957164"
    )
    assert as_text.body.replace("Noura", "") == as_objects.body.replace("Noura", "")
    assert "2,000 SAR" in as_text.body
    assert "10 March 2025" in as_text.body


def test_a_rejection_names_the_reason_in_words_and_says_the_fee_is_kept():
    notification, _email, sms = send("visa_rejected", "en")
    assert "The stated income does not match the proof" in notification.body
    assert "not refunded" in notification.body
    assert "VA-20418377519" in sms.body


def test_a_cancellation_without_a_fee_says_there_is_nothing_to_refund():
    notification, _email, sms = send("visa_cancelled", "en", refund_amount=Decimal("0"))
    assert "nothing to refund" in notification.body
    assert "refunded" not in sms.body


def test_the_supervisors_alert_goes_only_where_it_is_sent():
    supervisor = UserFactory(preferred_language="en")
    notify(
        recipient=supervisor,
        event="visa_decision_late",
        context={"reference": "VA-20418377519", "decision_due": DUE},
        channels=("in_app", "email"),
    )
    alert = Notification.objects.get(recipient=supervisor)
    assert "VA-20418377519" in alert.title
    assert "(10 March 2025) 14:30" in alert.body
    assert not Message.objects.filter(channel="sms").exists()
