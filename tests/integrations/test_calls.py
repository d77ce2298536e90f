"""The call log and the Celery base task, seen from the outside."""

import datetime as dt

import pytest
from celery import shared_task

from musaned.integrations.base import GatewayError, gateway
from musaned.integrations.models import GatewayCall
from musaned.integrations.tasks import GatewayTask

pytestmark = pytest.mark.django_db


def test_each_call_is_logged_with_its_operation_and_duration():
    gateway("identity").verify(national_id="1234512345", date_of_birth=dt.date(1990, 1, 1))
    gateway("mofa").activate_visa(visa_number="4000000001")

    calls = list(GatewayCall.objects.order_by("id").values_list("gateway", "operation", "outcome"))
    assert calls == [("identity", "verify", "ok"), ("mofa", "activate_visa", "ok")]
    assert all(call.duration_ms >= 0 and call.started_at for call in GatewayCall.objects.all())


def test_local_helpers_are_not_calls_to_the_outside():
    payment = gateway("payment")
    assert payment.verify_signature(b"x", payment.sign(b"x"))
    assert payment.name == "payment"
    assert not GatewayCall.objects.exists()


def test_the_log_keeps_no_personal_data(settings):
    settings.INTEGRATIONS_FAKE_FAILURES = {"identity": "malformed"}
    with pytest.raises(GatewayError):
        gateway("identity").verify(national_id="1234512345", date_of_birth=dt.date(1990, 1, 1))
    assert "1234512345" not in GatewayCall.objects.get().error


attempts: list[int] = []


@shared_task(base=GatewayTask, bind=True)
def send_greeting(self, to: str) -> str:
    attempts.append(self.request.retries)
    return gateway("sms").send(to=to, text="hello")


@shared_task(base=GatewayTask, bind=True)
def insure_nothing(self) -> str:
    attempts.append(self.request.retries)
    return gateway("insurer").issue_policy(reference="C-1", amount=0)


@pytest.fixture(autouse=True)
def _fresh_attempts():
    attempts.clear()


def test_a_gateway_task_retries_an_outage_then_gives_up(settings):
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": "timeout"}

    result = send_greeting.delay("+966551234567")

    assert result.failed()
    assert attempts == list(range(GatewayTask.max_retries + 1))
    assert GatewayCall.objects.filter(outcome="timeout").count() == GatewayTask.max_retries + 1


def test_a_gateway_task_succeeds_once_the_service_answers():
    assert send_greeting.delay("+966551234567").successful()
    assert attempts == [0]


def test_a_refusal_is_not_retried():
    result = insure_nothing.delay()
    assert result.failed() and isinstance(result.result, GatewayError)
    assert attempts == [0]


def test_retries_back_off_exponentially_with_jitter():
    task = send_greeting
    for retries in range(10):
        task.push_request(retries=retries)
        try:
            ceiling = min(
                GatewayTask.retry_backoff_max_seconds, GatewayTask.retry_backoff_seconds * 2**retries
            )
            delays = {task.retry_delay() for _ in range(50)}
        finally:
            task.pop_request()
        assert all(0 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1
    assert GatewayTask.acks_late is True
