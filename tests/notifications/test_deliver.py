"""Delivery: once only, retried while the provider is down, and recorded either way."""

import datetime as dt

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from musaned.accounts.models import AuditEvent
from musaned.integrations.base import GatewayError
from musaned.integrations.models import FakeOutbox, GatewayCall
from musaned.integrations.tasks import GatewayTask
from musaned.notifications.models import Message
from musaned.notifications.services import message_claim, notify_worker
from musaned.notifications.tasks import deliver_message, requeue_stale_messages

pytestmark = pytest.mark.django_db

MOBILE = "+966551234567"
DEPARTED = {"reference": "RR-1", "occurred_on": "2026-05-19"}


def _queued_sms() -> Message:
    # on_commit never runs under the `db` fixture: the message stays queued
    return notify_worker(to=MOBILE, event="delivery_departed_worker", language="en", context=DEPARTED)


def test_delivering_twice_sends_once():
    message = _queued_sms()

    deliver_message.delay(message.pk)
    deliver_message.delay(message.pk)

    assert FakeOutbox.objects.count() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


def test_only_one_of_two_workers_gets_the_message():
    message = _queued_sms()

    assert message_claim(message_id=message.pk).message is not None
    assert message_claim(message_id=message.pk).message is None


def test_a_message_another_worker_is_sending_is_looked_at_again_later():
    message = _queued_sms()
    message_claim(message_id=message.pk)

    with pytest.raises(Retry):
        deliver_message(message.pk)

    assert not FakeOutbox.objects.exists()


def test_a_worker_that_died_holding_a_message_does_not_block_it_for_ever():
    message = _queued_sms()
    Message.objects.filter(pk=message.pk).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))

    deliver_message.delay(message.pk)

    assert FakeOutbox.objects.count() == 1


def test_a_failed_attempt_keeps_the_error_and_the_message_queued(settings):
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": "error"}
    message = _queued_sms()

    with pytest.raises(GatewayError):
        deliver_message(message.pk)  # one attempt, run in place

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert "503" in message.last_error and message.claimed_until is None

    settings.INTEGRATIONS_FAKE_FAILURES = {}
    deliver_message(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert FakeOutbox.objects.count() == 1


def test_a_provider_that_stays_down_is_retried_then_the_message_fails(
    settings, django_capture_on_commit_callbacks
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": "timeout"}

    with django_capture_on_commit_callbacks(execute=True):
        message = _queued_sms()

    message.refresh_from_db()
    attempts = GatewayTask.max_retries + 1
    assert (message.status, message.attempts) == ("failed", attempts)
    assert "no answer" in message.last_error
    assert not FakeOutbox.objects.exists()
    assert GatewayCall.objects.filter(gateway="sms", outcome="timeout").count() == attempts
    failed = AuditEvent.objects.get(action="message_failed")
    assert failed.target == message and failed.to_state == "failed"


def test_a_failed_message_is_not_sent_again():
    message = _queued_sms()
    Message.objects.filter(pk=message.pk).update(status="failed")

    deliver_message.delay(message.pk)

    assert not FakeOutbox.objects.exists()


def test_messages_whose_task_was_lost_are_picked_up_again():
    lost, recent = _queued_sms(), _queued_sms()
    Message.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - dt.timedelta(hours=3))

    assert requeue_stale_messages() == 1

    assert list(FakeOutbox.objects.values_list("provider_id", flat=True)) == [
        Message.objects.get(pk=lost.pk).provider_id
    ]
    recent.refresh_from_db()
    assert recent.status == "queued"
