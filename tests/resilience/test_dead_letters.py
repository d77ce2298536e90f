"""Tasks that give up are kept as dead letters; the back office sends them again or discards them."""

import datetime as dt
from decimal import Decimal

import pytest
from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent
from musaned.accounts.roles import Role
from musaned.integrations.base import gateway
from musaned.integrations.models import DeadLetter, DeadLetterState, FakeOutbox
from musaned.integrations.resilience import dead_letter_discard, dead_letter_record, dead_letter_retry
from musaned.integrations.tasks import GatewayTask
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MOBILE = "+966551234567"
CHANGELIST = reverse("admin:integrations_deadletter_changelist")

attempts: list[int] = []
on_attempt: list = []


@shared_task(base=GatewayTask, bind=True, max_retries=2)
def remind(self, to: str, *, text: str) -> str:
    attempts.append(self.request.retries)
    for hook in on_attempt:
        hook()
    return gateway("sms").send(to=to, text=text)


@shared_task(base=GatewayTask, bind=True, max_retries=2)
def insure(self, amount: str) -> str:
    attempts.append(self.request.retries)
    return gateway("insurer").issue_policy(reference="C-1", amount=Decimal(amount))


@shared_task
def broken(number: int) -> None:
    raise ValueError(f"cannot handle {number}")


@pytest.fixture(autouse=True)
def _fresh():
    attempts.clear()
    on_attempt.clear()
    yield
    on_attempt.clear()


def test_a_task_that_runs_out_of_retries_is_kept_with_its_error_and_arguments(settings, clock):
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": "timeout"}
    started = clock.now
    on_attempt.append(lambda: clock.advance(minutes=1))

    result = remind.delay(MOBILE, text="pay your bill")

    assert result.failed()
    assert attempts == [0, 1, 2]
    letter = DeadLetter.objects.get()
    assert letter.task_name == remind.name
    assert letter.task_id == result.id
    assert (letter.args, letter.kwargs) == ([MOBILE], {"text": "pay your bill"})
    assert letter.exception_type == "musaned.integrations.base.GatewayTimeout"
    assert "no answer" in letter.exception_text
    assert "GatewayTimeout" in letter.traceback
    assert letter.attempts == 3
    assert letter.state == DeadLetterState.OPEN
    # first failure: the first attempt, one minute in; last failure: the third attempt
    assert letter.first_failed_at == started + dt.timedelta(minutes=1)
    assert letter.last_failed_at == started + dt.timedelta(minutes=3)


def test_a_refused_request_is_kept_at_once_without_retrying():
    result = insure.delay("0")

    assert result.failed() and attempts == [0]
    letter = DeadLetter.objects.get()
    assert letter.attempts == 1
    assert letter.exception_type == "musaned.integrations.base.GatewayError"
    assert letter.first_failed_at == letter.last_failed_at


def test_any_task_that_fails_for_good_is_kept_whatever_its_class():
    broken.delay(7)

    letter = DeadLetter.objects.get()
    assert (letter.task_name, letter.args, letter.exception_type) == (broken.name, [7], "builtins.ValueError")
    assert letter.exception_text == "cannot handle 7"


def test_a_task_that_succeeds_on_a_retry_leaves_no_dead_letter(settings):
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": "error"}

    def service_comes_back():
        if len(attempts) == 2:
            settings.INTEGRATIONS_FAKE_FAILURES = {}

    on_attempt.append(service_comes_back)

    assert remind.delay(MOBILE, text="hello").successful()
    assert attempts == [0, 1]
    assert not DeadLetter.objects.exists()


def test_the_same_message_failing_again_updates_its_open_letter():
    for attempts_made in (3, 4):
        dead_letter_record(
            task_name=broken.name,
            task_id="same-message",
            args=[1],
            kwargs={},
            exception=ValueError("again"),
            attempts=attempts_made,
        )
    letter = DeadLetter.objects.get()
    assert letter.attempts == 4


def _fail_once(settings):
    """One task gives up; alone, as with the default settings, it does not open the circuit."""
    settings.INTEGRATIONS_CIRCUIT_FAILURES = 10
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": "error"}
    remind.delay(MOBILE, text="pay your bill")
    settings.INTEGRATIONS_FAKE_FAILURES = {}
    attempts.clear()
    return DeadLetter.objects.get()


def test_the_back_office_sends_a_dead_letter_again_and_it_runs(
    settings, back_office, operator, django_capture_on_commit_callbacks
):
    letter = _fail_once(settings)
    assert not FakeOutbox.objects.exists()

    page = back_office.get(CHANGELIST)
    assert page.status_code == 200
    assert remind.name in page.text and "Send the selected tasks again" in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = back_office.post(
            CHANGELIST, {"action": "retry", "_selected_action": [letter.pk]}, follow=True
        )

    assert "1 task was sent again." in response.text
    letter.refresh_from_db()
    assert letter.state == DeadLetterState.RETRIED
    assert letter.resolved_by == operator and letter.resolved_at is not None
    assert letter.retry_task_id
    assert attempts == [0]  # sent again with the same arguments: the service answered this time
    assert FakeOutbox.objects.get().body == "pay your bill"
    event = AuditEvent.objects.get(action="integrations.dead_letter_retried")
    assert (event.actor, event.from_state, event.to_state) == (operator, "open", "retried")

    # handled once only
    response = back_office.post(CHANGELIST, {"action": "retry", "_selected_action": [letter.pk]}, follow=True)
    assert "1 task was already handled" in response.text
    assert FakeOutbox.objects.count() == 1


def test_the_back_office_discards_a_dead_letter_without_running_it(settings, back_office, operator):
    letter = _fail_once(settings)

    response = back_office.post(
        CHANGELIST, {"action": "discard", "_selected_action": [letter.pk]}, follow=True
    )

    assert "1 task was discarded." in response.text
    letter.refresh_from_db()
    assert (letter.state, letter.resolved_by) == (DeadLetterState.DISCARDED, operator)
    assert attempts == []
    assert not FakeOutbox.objects.exists()
    assert AuditEvent.objects.filter(action="integrations.dead_letter_discarded", actor=operator).exists()


def test_a_dead_letter_page_shows_its_error_and_arguments(settings, back_office):
    letter = _fail_once(settings)

    page = back_office.get(reverse("admin:integrations_deadletter_change", args=[letter.pk]))

    assert page.status_code == 200
    assert "the service answered 503" in page.text
    assert MOBILE in page.text
    for name in ("gatewaycall", "gatewaycircuit", "deadlinepause"):
        assert back_office.get(reverse(f"admin:integrations_{name}_changelist")).status_code == 200


def test_only_people_allowed_to_may_handle_dead_letters(settings):
    letter = _fail_once(settings)
    household = Actor.direct(UserFactory(roles=[Role.HOUSEHOLD]))

    with pytest.raises(PermissionDenied):
        dead_letter_retry(actor=household, dead_letter=letter)
    with pytest.raises(PermissionDenied):
        dead_letter_discard(actor=household, dead_letter=letter)
    letter.refresh_from_db()
    assert letter.state == DeadLetterState.OPEN


def test_a_letter_for_a_task_that_no_longer_exists_can_only_be_discarded(operator):
    letter = dead_letter_record(
        task_name="musaned.gone.task", task_id="x", args=[], kwargs={}, exception=ValueError("old")
    )
    with pytest.raises(ValidationError):
        dead_letter_retry(actor=Actor.direct(operator), dead_letter=letter)
    assert (
        dead_letter_discard(actor=Actor.direct(operator), dead_letter=letter).state
        == DeadLetterState.DISCARDED
    )
