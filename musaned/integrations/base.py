"""What every gateway shares: its errors, how one is chosen (fake or real), and what stands around
each call: the circuit breaker, the time limit and the call log (see resilience.py)."""

from __future__ import annotations

import datetime
import functools
import logging
import time
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """The outside system could not do what was asked.

    `retryable` says whether asking again later may help: true for outages (5xx, timeouts, lost
    connections), false when the service refused the request itself (4xx): retrying that only repeats
    the refusal.
    """

    retryable = True

    def __init__(self, message: str = "", *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable


class GatewayTimeout(GatewayError):
    """No answer within the timeout."""


class MalformedReply(GatewayError):
    """The answer could not be understood (wrong shape, missing fields).

    Retryable: in practice a broken answer is most often a proxy's error page or a half-deployed
    service, both of which pass.
    """


class GatewayUnavailable(GatewayError):
    """Not asked at all: the system failed so often lately that its circuit is open.

    Retryable: the circuit lets a call through again after its cool-down, at `retry_at`.
    """

    def __init__(self, message: str = "", *, retry_at: datetime.datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


GATEWAYS = {
    "identity": (
        "musaned.integrations.fakes.FakeIdentityGateway",
        "musaned.integrations.http.HttpIdentityGateway",
    ),
    "sms": ("musaned.integrations.fakes.FakeSmsGateway", "musaned.integrations.http.HttpSmsGateway"),
    "email": ("musaned.integrations.fakes.FakeEmailGateway", "musaned.integrations.http.HttpEmailGateway"),
    "payment": (
        "musaned.integrations.fakes.FakePaymentGateway",
        "musaned.integrations.http.HttpPaymentGateway",
    ),
    "passports": (
        "musaned.integrations.fakes.FakePassportsGateway",
        "musaned.integrations.http.HttpPassportsGateway",
    ),
    "commerce": (
        "musaned.integrations.fakes.FakeCommerceGateway",
        "musaned.integrations.http.HttpCommerceGateway",
    ),
    "mofa": ("musaned.integrations.fakes.FakeMofaGateway", "musaned.integrations.http.HttpMofaGateway"),
    "insurer": (
        "musaned.integrations.fakes.FakeInsurerGateway",
        "musaned.integrations.http.HttpInsurerGateway",
    ),
}


def gateway(name: str) -> Any:
    """The gateway for `name` as settings choose it (INTEGRATIONS_MODE "fake" or "http"), behind its
    circuit breaker and time limit, with every call to one of its operations written to the
    GatewayCall log."""
    fake_path, http_path = GATEWAYS[name]
    path = fake_path if settings.INTEGRATIONS_MODE == "fake" else http_path
    return RecordingGateway(import_string(path)())


def operations_of(gateway_class: type) -> frozenset[str]:
    """The operations a gateway offers: the abstract methods its interface declares.

    Helpers the interface implements itself (such as the payment signature check) run locally and are
    not calls to the outside system, so they are not logged.
    """
    return frozenset(
        attr
        for klass in gateway_class.__mro__
        for attr, value in vars(klass).items()
        if getattr(value, "__isabstractmethod__", False)
    )


class RecordingGateway:
    """Stands in front of any gateway and guards and logs each operation.

    Before the call, the circuit breaker may refuse it (GatewayUnavailable, nothing sent); the call
    runs under settings.INTEGRATIONS_TIMEOUT_SECONDS; afterwards its outcome is logged (which, when,
    how long, how it ended) and counted by the breaker.

    Write the log outside a transaction that may roll back (call gateways outside `atomic` blocks):
    a row written inside one disappears with it, and so does the breaker's count. Every call is also
    logged through `logging`.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._operations = operations_of(type(inner))

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._inner, attr)
        if attr not in self._operations:
            return value

        @functools.wraps(value)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            return _call_and_record(self._inner.name, attr, value, args, kwargs)

        return recorded

    def __repr__(self) -> str:
        return f"<recorded {self._inner!r}>"


def _call_and_record(name: str, operation: str, method: Any, args: tuple, kwargs: dict) -> Any:
    from . import resilience
    from .models import CallOutcome, GatewayCall

    seen = resilience.circuit_admit(name)
    started_at, started = timezone.now(), time.monotonic()
    outcome, error = CallOutcome.OK, ""
    # Whether the system is down, for the breaker: None when the call says nothing about that.
    down: bool | None = False
    try:
        with resilience.time_limit(name, settings.INTEGRATIONS_TIMEOUT_SECONDS):
            return method(*args, **kwargs)
    except MalformedReply as exc:
        outcome, error, down = CallOutcome.MALFORMED, str(exc), True
        raise
    except GatewayTimeout as exc:
        outcome, error, down = CallOutcome.TIMEOUT, str(exc), True
        raise
    except GatewayError as exc:
        # A refusal (not retryable) is an answer: the system is up.
        outcome, error, down = CallOutcome.ERROR, str(exc), exc.retryable
        raise
    except Exception as exc:
        outcome, error, down = CallOutcome.ERROR, f"{type(exc).__name__}: {exc}", None
        raise
    finally:
        duration_ms = int((time.monotonic() - started) * 1000)
        log.info("gateway %s.%s %s in %d ms %s", name, operation, outcome, duration_ms, error)
        GatewayCall.objects.create(
            gateway=name,
            operation=operation,
            started_at=started_at,
            duration_ms=duration_ms,
            outcome=outcome,
            error=error[: GatewayCall.ERROR_MAX_LENGTH],
        )
        if down:
            resilience.circuit_record_failure(gateway=name, error=error)
        elif down is False:
            resilience.circuit_record_success(gateway=name, seen=seen)
