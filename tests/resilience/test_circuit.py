"""The circuit breaker and the time limit around every call to an outside system."""

import datetime as dt
import signal
import time
from decimal import Decimal

import pytest
from celery import shared_task

from musaned.accounts.models import AuditEvent
from musaned.integrations import resilience
from musaned.integrations.base import (
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    MalformedReply,
    RecordingGateway,
    gateway,
)
from musaned.integrations.fakes import FakeSmsGateway
from musaned.integrations.models import (
    CircuitState,
    DeadLetter,
    DeadlinePause,
    FakeOutbox,
    GatewayCall,
    GatewayCircuit,
)
from musaned.integrations.tasks import GatewayTask

from .conftest import COOL_DOWN, FAILURES_TO_OPEN

pytestmark = pytest.mark.django_db

MOBILE = "+966551234567"
FAILURE_MODES = [("timeout", GatewayTimeout), ("error", GatewayError), ("malformed", MalformedReply)]


def send_sms():
    return gateway("sms").send(to=MOBILE, text="hello")


def fail_sms(settings, times, mode="error"):
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": mode}
    for _ in range(times):
        with pytest.raises(GatewayError):
            send_sms()
    settings.INTEGRATIONS_FAKE_FAILURES = {}


def circuit(name="sms"):
    return GatewayCircuit.objects.get(gateway=name)


@pytest.mark.parametrize(("mode", "error"), FAILURE_MODES)
def test_each_failure_mode_counts_and_the_circuit_opens_after_the_set_number_in_a_row(
    settings, clock, mode, error
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": mode}
    first_failure = clock.now
    for attempt in range(FAILURES_TO_OPEN):
        with pytest.raises(error) as raised:
            send_sms()
        assert type(raised.value) is error  # the caller still learns what went wrong
        clock.advance(seconds=5)
        expected = CircuitState.OPEN if attempt == FAILURES_TO_OPEN - 1 else CircuitState.CLOSED
        assert circuit().state == expected

    opened = circuit()
    assert opened.failures == FAILURES_TO_OPEN
    assert opened.retry_at == opened.opened_at + COOL_DOWN
    assert GatewayCall.objects.filter(gateway="sms", outcome=mode).count() == FAILURES_TO_OPEN
    event = AuditEvent.objects.get(action="integrations.circuit_opened")
    assert (event.from_state, event.to_state, event.actor) == ("closed", "open", None)
    # deadlines that depend on the system stand still from its first failure in the row
    pause = DeadlinePause.objects.get(gateway="sms")
    assert (pause.started_at, pause.ended_at) == (first_failure, None)


def test_while_open_calls_fail_fast_without_reaching_the_service(settings, clock):
    fail_sms(settings, FAILURES_TO_OPEN)
    calls = GatewayCall.objects.count()

    clock.advance(seconds=30)  # within the cool-down; the service is even back
    with pytest.raises(GatewayUnavailable) as raised:
        send_sms()

    assert raised.value.retryable is True
    assert raised.value.retry_at == circuit().retry_at
    assert not FakeOutbox.objects.exists()
    assert GatewayCall.objects.count() == calls
    assert circuit().state == CircuitState.OPEN


def test_after_the_cool_down_one_trial_call_goes_through_and_its_success_closes_the_circuit(settings, clock):
    fail_sms(settings, FAILURES_TO_OPEN)
    clock.advance(seconds=COOL_DOWN.total_seconds() + 1)

    assert send_sms()

    closed = circuit()
    assert (closed.state, closed.failures, closed.retry_at) == (CircuitState.CLOSED, 0, None)
    assert FakeOutbox.objects.count() == 1
    assert DeadlinePause.objects.get(gateway="sms").ended_at == clock.now
    event = AuditEvent.objects.get(action="integrations.circuit_closed")
    assert (event.from_state, event.to_state) == ("half_open", "closed")
    send_sms()
    assert FakeOutbox.objects.count() == 2


def test_half_open_lets_only_one_call_through_at_a_time(settings, clock):
    fail_sms(settings, FAILURES_TO_OPEN)
    clock.advance(seconds=COOL_DOWN.total_seconds() + 1)

    # another process took the trial call and has not reported back
    assert resilience.circuit_admit("sms").state == CircuitState.HALF_OPEN
    with pytest.raises(GatewayUnavailable):
        send_sms()
    assert not FakeOutbox.objects.exists()

    # that process died: after another cool-down a new trial is allowed
    clock.advance(seconds=COOL_DOWN.total_seconds() + 1)
    assert send_sms()
    assert circuit().state == CircuitState.CLOSED


def test_a_failed_trial_call_opens_the_circuit_for_another_cool_down(settings, clock):
    fail_sms(settings, FAILURES_TO_OPEN)
    clock.advance(seconds=COOL_DOWN.total_seconds() + 1)

    fail_sms(settings, 1, mode="timeout")

    reopened = circuit()
    assert reopened.state == CircuitState.OPEN
    assert reopened.retry_at == clock.now + COOL_DOWN
    with pytest.raises(GatewayUnavailable):
        send_sms()
    assert DeadlinePause.objects.filter(gateway="sms", ended_at=None).count() == 1  # the same outage


def test_only_failures_in_a_row_count(settings):
    fail_sms(settings, FAILURES_TO_OPEN - 1)
    send_sms()
    assert circuit().failures == 0
    fail_sms(settings, FAILURES_TO_OPEN - 1)

    assert circuit().state == CircuitState.CLOSED
    assert not DeadlinePause.objects.exists()


def test_a_refusal_is_an_answer_and_does_not_count():
    for _ in range(FAILURES_TO_OPEN + 1):
        with pytest.raises(GatewayError) as raised:
            gateway("insurer").issue_policy(reference="C-1", amount=Decimal("0"))
        assert raised.value.retryable is False

    assert not GatewayCircuit.objects.filter(gateway="insurer").exists()
    assert gateway("insurer").issue_policy(reference="C-1", amount=Decimal("350"))


def test_each_system_has_its_own_circuit(settings):
    fail_sms(settings, FAILURES_TO_OPEN)

    with pytest.raises(GatewayUnavailable):
        send_sms()
    assert gateway("email").send(to="a@example.sa", subject="s", body="b")


class SlowSmsGateway(FakeSmsGateway):
    """An SMS provider that keeps the connection open and never finishes its answer."""

    def send(self, *, to: str, text: str) -> str:
        time.sleep(5)
        return super().send(to=to, text=text)


def test_a_call_that_runs_past_the_time_limit_is_cut_off_as_a_timeout_and_counted(settings):
    settings.INTEGRATIONS_TIMEOUT_SECONDS = 0.2
    handler_before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()

    with pytest.raises(GatewayTimeout):
        RecordingGateway(SlowSmsGateway()).send(to=MOBILE, text="hello")

    assert time.monotonic() - started < 2
    call = GatewayCall.objects.get()
    assert call.outcome == "timeout" and call.duration_ms < 2000
    assert circuit().failures == 1
    assert not FakeOutbox.objects.exists()
    assert signal.getsignal(signal.SIGALRM) is handler_before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_call_within_the_time_limit_is_untouched(settings):
    settings.INTEGRATIONS_TIMEOUT_SECONDS = 0.5
    assert send_sms()
    time.sleep(0.7)  # the timer was disarmed with the call: nothing fires afterwards
    assert GatewayCall.objects.get().outcome == "ok"


attempts: list[int] = []


@shared_task(base=GatewayTask, bind=True, max_retries=5)
def greet(self, to: str) -> str:
    attempts.append(self.request.retries)
    return gateway("sms").send(to=to, text="hello")


def test_a_task_retrying_an_outage_stops_calling_once_the_circuit_opens(settings):
    attempts.clear()
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": "error"}

    result = greet.delay(MOBILE)  # in-process: each retry follows at once

    assert result.failed()
    assert attempts == list(range(6))
    # the first failures reached the service; once the circuit opened, the rest were held back
    assert GatewayCall.objects.filter(gateway="sms").count() == FAILURES_TO_OPEN
    letter = DeadLetter.objects.get()
    assert letter.exception_type == "musaned.integrations.base.GatewayUnavailable"
    assert letter.attempts == 6


def test_a_retry_waits_at_least_until_the_circuit_lets_calls_through(clock):
    retry_at = clock.now + dt.timedelta(minutes=10)
    greet.push_request(retries=0)
    try:
        delays = {greet.retry_delay(GatewayUnavailable("down", retry_at=retry_at)) for _ in range(20)}
    finally:
        greet.pop_request()
    assert min(delays) >= 600
