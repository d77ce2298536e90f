"""Living with outside systems that fail: the circuit breaker, the time limit on each call, and the
dead letters of background tasks that gave up.

Circuit breaker, one per outside system, kept in the database (GatewayCircuit) so that every web and
worker process sees the same state:

- closed: calls go through. Each outage-like failure (no answer in time, a 5xx or lost connection, an
  unreadable answer) is counted; a success, or a refusal (the system answered), resets the count.
  After settings.INTEGRATIONS_CIRCUIT_FAILURES failures in a row the circuit opens.
- open: calls fail at once with GatewayUnavailable, nothing is sent, for
  settings.INTEGRATIONS_CIRCUIT_COOLDOWN_SECONDS.
- half open: after the cool-down one call, and only one across all processes, is let through. Its
  success closes the circuit; its failure opens it for another cool-down. Should that call never
  report back (its process died), another one is let through after a further cool-down.

While a circuit is open, deadlines that depend on the system stand still: a DeadlinePause runs from
the first failure in the row that opened it until it closes (see musaned/deadlines.py).

Dead letters: one receiver of Celery's task_failure signal records every task that fails for good,
whatever its class (retries exhausted, or an error retrying cannot fix), with what is needed to send
it again from the back office.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from celery import uuid
from celery.signals import task_failure
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from musaned.accounts.services import audit_record
from musaned.ops.logs import current_request_id

from .base import GatewayTimeout, GatewayUnavailable
from .models import (
    CircuitState,
    DeadLetter,
    DeadLetterState,
    DeadlinePause,
    GatewayCall,
    GatewayCircuit,
)

if TYPE_CHECKING:
    from musaned.accounts.actor import Actor

log = logging.getLogger(__name__)

# The message header that carries, across retries, when a task first failed.
FIRST_FAILED_HEADER = "musaned_first_failed_at"


# --- circuit breaker -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CircuitSeen:
    """The circuit as it was when a call was let through: a success changes nothing unless needed."""

    state: str
    failures: int


def _cooldown() -> dt.timedelta:
    return dt.timedelta(seconds=settings.INTEGRATIONS_CIRCUIT_COOLDOWN_SECONDS)


def circuit_admit(name: str) -> CircuitSeen | None:
    """Let a call to `name` through, or raise GatewayUnavailable without calling.

    None means no circuit row (never failed): the common case costs one indexed read.
    """
    row = GatewayCircuit.objects.filter(gateway=name).values_list("state", "failures", "retry_at").first()
    if row is None:
        return None
    state, failures, retry_at = row
    if state == CircuitState.CLOSED:
        return CircuitSeen(state, failures)
    now = timezone.now()
    if retry_at is not None and retry_at > now:
        raise GatewayUnavailable(
            f"{name}: not called, the service is down (next try after {retry_at:%H:%M:%S})", retry_at=retry_at
        )
    # The cool-down is over: the one process whose update matches makes the trial call.
    claimed = GatewayCircuit.objects.filter(gateway=name, state=state, retry_at=retry_at).update(
        state=CircuitState.HALF_OPEN, retry_at=now + _cooldown()
    )
    if not claimed:
        raise GatewayUnavailable(f"{name}: not called, another call is trying the service", retry_at=now)
    log.info("circuit of %s half open: trying the service again", name)
    return CircuitSeen(CircuitState.HALF_OPEN, failures)


@transaction.atomic
def circuit_record_failure(*, gateway: str, error: str) -> GatewayCircuit:
    """Count an outage-like failure of `gateway`; open its circuit (and pause its deadlines) when due."""
    now = timezone.now()
    circuit, _created = GatewayCircuit.objects.select_for_update().get_or_create(gateway=gateway)
    before = circuit.state
    circuit.failures += 1
    circuit.failing_since = circuit.failing_since or now
    circuit.last_error = error[: GatewayCall.ERROR_MAX_LENGTH]
    tripped = before == CircuitState.CLOSED and circuit.failures >= settings.INTEGRATIONS_CIRCUIT_FAILURES
    if tripped or before == CircuitState.HALF_OPEN:
        circuit.state = CircuitState.OPEN
        circuit.retry_at = now + _cooldown()
    if tripped:
        circuit.opened_at = now
    circuit.save()
    if tripped:
        DeadlinePause.objects.get_or_create(
            gateway=gateway, ended_at=None, defaults={"started_at": circuit.failing_since}
        )
        audit_record(
            action="integrations.circuit_opened",
            actor=None,
            target=circuit,
            from_state=before,
            to_state=circuit.state,
            changes={"failures": circuit.failures, "failing_since": circuit.failing_since.isoformat()},
        )
        log.warning("circuit of %s opened after %d failures in a row: %s", gateway, circuit.failures, error)
    elif before == CircuitState.HALF_OPEN:
        log.warning("circuit of %s open again: the trial call failed: %s", gateway, error)
    return circuit


def circuit_record_success(*, gateway: str, seen: CircuitSeen | None) -> None:
    """The system answered: clear its failures, and close its circuit if it was not closed."""
    if seen is None or (seen.state == CircuitState.CLOSED and seen.failures == 0):
        return
    _circuit_close(gateway=gateway)


@transaction.atomic
def _circuit_close(*, gateway: str) -> None:
    circuit = GatewayCircuit.objects.select_for_update().filter(gateway=gateway).first()
    if circuit is None:
        return
    now = timezone.now()
    before, failures = circuit.state, circuit.failures
    circuit.state, circuit.failures = CircuitState.CLOSED, 0
    circuit.failing_since = circuit.retry_at = None
    circuit.save()
    if before == CircuitState.CLOSED:
        return
    DeadlinePause.objects.filter(gateway=gateway, ended_at=None).update(ended_at=now)
    audit_record(
        action="integrations.circuit_closed",
        actor=None,
        target=circuit,
        from_state=before,
        to_state=circuit.state,
        changes={
            "failures": failures,
            "opened_at": circuit.opened_at.isoformat() if circuit.opened_at else None,
        },
    )
    log.warning("circuit of %s closed: the service answers again", gateway)


# --- time limit ----------------------------------------------------------------------------------


@contextmanager
def time_limit(name: str, seconds: float) -> Iterator[None]:
    """Raise GatewayTimeout in the block once `seconds` have passed, whatever the call is waiting on.

    The HTTP clients also put the limit on every socket operation; this bounds the whole call (a
    service that trickles its answer byte by byte). It uses the process's interval timer, so it
    applies in the main thread (Celery's prefork children, gunicorn's sync workers, the tests); in
    other threads, and under a timer someone else set, the clients' socket timeouts remain the limit.
    """
    if (
        seconds <= 0
        or threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0] > 0
    ):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise GatewayTimeout(f"{name}: no answer within the timeout")

    previous = signal.signal(signal.SIGALRM, expired)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


# --- dead letters --------------------------------------------------------------------------------


def request_header(request: Any, key: str) -> Any:
    """A custom message header of the running task: Celery keeps it as an attribute of the request
    in a worker, and in `request.headers` when the task runs in-process or was retried."""
    return (getattr(request, "headers", None) or {}).get(key) or getattr(request, key, None)


@task_failure.connect(dispatch_uid="musaned.dead_letters")
def _task_failed_for_good(sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **_):
    """Celery reports a task that failed for good (not a retry, not a lost worker's requeue)."""
    request = sender.request
    first = request_header(request, FIRST_FAILED_HEADER)
    try:
        dead_letter_record(
            task_name=sender.name,
            task_id=task_id or "",
            args=list(args or ()),
            kwargs=dict(kwargs or {}),
            exception=exception,
            traceback=str(einfo or ""),
            attempts=(request.retries or 0) + 1,
            first_failed_at=parse_datetime(first) if isinstance(first, str) else None,
        )
    except Exception:
        log.exception("could not record the dead letter of task %s[%s]", sender.name, task_id)


@transaction.atomic
def dead_letter_record(
    *,
    task_name: str,
    task_id: str,
    args: list[Any],
    kwargs: dict[str, Any],
    exception: BaseException,
    traceback: str = "",
    attempts: int = 1,
    first_failed_at: dt.datetime | None = None,
) -> DeadLetter:
    """Keep a task that gave up until someone sends it again or discards it.

    The same message failing again (a redelivery) updates its open letter instead of adding one.
    """
    now = timezone.now()
    fields = {
        "exception_type": f"{type(exception).__module__}.{type(exception).__qualname__}"[:200],
        "exception_text": str(exception)[: DeadLetter.TEXT_MAX_LENGTH],
        "traceback": traceback[-DeadLetter.TEXT_MAX_LENGTH * 4 :],
        "attempts": attempts,
        "last_failed_at": now,
    }
    letter = (
        DeadLetter.objects.select_for_update().filter(task_id=task_id, state=DeadLetterState.OPEN).first()
    )
    if letter is not None:
        for field, value in fields.items():
            setattr(letter, field, value)
        letter.attempts = max(attempts, letter.attempts)
        letter.save()
    else:
        letter = DeadLetter.objects.create(
            task_name=task_name,
            task_id=task_id,
            args=args,
            kwargs=kwargs,
            first_failed_at=first_failed_at or now,
            request_id=current_request_id() or "",
            **fields,
        )
    log.error(
        "task %s[%s] gave up after %d attempts: %s", task_name, task_id, attempts, fields["exception_type"]
    )
    return letter


def _require_dead_letter_access(actor: Actor) -> None:
    if not actor.user.has_perm("integrations.change_deadletter"):
        raise PermissionDenied(_("You may not handle failed background tasks."))


def _locked_open_letter(dead_letter: DeadLetter) -> DeadLetter:
    letter = DeadLetter.objects.select_for_update().get(pk=dead_letter.pk)
    if letter.state != DeadLetterState.OPEN:
        raise ValidationError(_("This task was already sent again or discarded."))
    return letter


@transaction.atomic
def dead_letter_retry(*, actor: Actor, dead_letter: DeadLetter) -> DeadLetter:
    """Send a failed task again with the same arguments (tasks are idempotent); it runs once this
    commits. Should the message not reach the queue, the letter is open again."""
    from musaned.celery import app

    _require_dead_letter_access(actor)
    letter = _locked_open_letter(dead_letter)
    task = app.tasks.get(letter.task_name)
    if task is None:
        raise ValidationError(_("This task no longer exists: discard it instead."))
    letter.state = DeadLetterState.RETRIED
    letter.resolved_at, letter.resolved_by = timezone.now(), actor.user
    letter.retry_task_id = uuid()
    letter.save()
    audit_record(
        action="integrations.dead_letter_retried",
        actor=actor,
        target=letter,
        from_state=DeadLetterState.OPEN,
        to_state=letter.state,
        changes={"task": letter.task_name, "new_task_id": letter.retry_task_id},
    )
    args, kwargs, task_id, pk = letter.args, letter.kwargs, letter.retry_task_id, letter.pk

    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs, task_id=task_id)
        except Exception:
            log.exception("could not send task %s again; its dead letter is open again", task.name)
            DeadLetter.objects.filter(pk=pk, retry_task_id=task_id).update(
                state=DeadLetterState.OPEN, resolved_at=None, resolved_by=None, retry_task_id=""
            )

    transaction.on_commit(send)
    return letter


@transaction.atomic
def dead_letter_discard(*, actor: Actor, dead_letter: DeadLetter) -> DeadLetter:
    """Close a failed task without running it again (it is obsolete, or was handled by hand)."""
    _require_dead_letter_access(actor)
    letter = _locked_open_letter(dead_letter)
    letter.state = DeadLetterState.DISCARDED
    letter.resolved_at, letter.resolved_by = timezone.now(), actor.user
    letter.save()
    audit_record(
        action="integrations.dead_letter_discarded",
        actor=actor,
        target=letter,
        from_state=DeadLetterState.OPEN,
        to_state=letter.state,
        changes={"task": letter.task_name},
    )
    return letter
