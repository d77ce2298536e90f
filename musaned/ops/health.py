"""What the health endpoint reports: each check reads what the platform already knows, quickly.

Outside systems are never called here: their state is their circuit and their last logged call.
Error texts name the kind of failure only, never an address or a password.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection

from musaned.integrations.base import GATEWAYS
from musaned.integrations.models import CircuitState, DeadLetter, DeadLetterState, GatewayCall, GatewayCircuit

from .models import Probe

BROKER_TIMEOUT_SECONDS = 2
# The passports feed runs nightly: older than this, a run was missed.
FEED_STALE_AFTER = dt.timedelta(hours=26)
# Beat runs the probe every minute: older than this, no worker is taking tasks (or beat is down).
PROBE_STALE_AFTER = dt.timedelta(minutes=5)

OK, FAIL, WARN, UNKNOWN = "ok", "fail", "warn", "unknown"
# The checks without which the platform cannot serve: either failing answers 503.
ESSENTIAL = ("database", "broker")


def _age(moment: dt.datetime | None, now: dt.datetime) -> dict[str, Any]:
    if moment is None:
        return {"at": None, "age_seconds": None}
    return {"at": moment.isoformat(), "age_seconds": int((now - moment).total_seconds())}


def check_database() -> dict[str, Any]:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": OK, "ms": int((time.monotonic() - started) * 1000)}


def _queue_names() -> list[str]:
    from musaned.celery import app

    queues = app.conf.task_queues
    return [queue.name for queue in queues] if queues else [app.conf.task_default_queue]


def queue_depths(broker: Connection) -> dict[str, int]:
    """Messages waiting in each queue, asked of the broker itself: LLEN on Redis, files in the folder of
    the file-system broker, a passive declare on RabbitMQ (all through kombu's passive declare)."""
    depths = {}
    channel = broker.default_channel
    for name in _queue_names():
        try:
            depths[name] = channel.queue_declare(queue=name, passive=True).message_count
        except broker.channel_errors:
            depths[name] = 0  # the broker has no such queue: nothing was ever left in it
    return depths


def check_broker() -> dict[str, Any]:
    url = settings.CELERY_BROKER_URL
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS}
    if url.startswith(("redis", "rediss")):
        options.setdefault("socket_timeout", BROKER_TIMEOUT_SECONDS)
    started = time.monotonic()
    with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options) as broker:
        broker.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
        )
        depths = queue_depths(broker)
        return {
            "status": OK,
            "transport": broker.transport_cls,
            "ms": int((time.monotonic() - started) * 1000),
            "queues": depths,
        }


GATEWAY_STATUS = {CircuitState.CLOSED: OK, CircuitState.HALF_OPEN: WARN, CircuitState.OPEN: FAIL}


def check_gateways() -> dict[str, Any]:
    now = timezone.now()
    circuits = {circuit.gateway: circuit for circuit in GatewayCircuit.objects.all()}
    report: dict[str, Any] = {}
    for name in GATEWAYS:
        circuit = circuits.get(name)
        state = circuit.state if circuit else CircuitState.CLOSED
        failures = circuit.failures if circuit else 0
        last = (
            GatewayCall.objects.filter(gateway=name)
            .order_by("-started_at", "-id")
            .values("outcome", "started_at")
            .first()
        )
        status = GATEWAY_STATUS[state]
        if status == OK and failures:
            status = WARN
        report[name] = {
            "status": status,
            "circuit": state,
            "failures_in_a_row": failures,
            "retry_at": circuit.retry_at.isoformat() if circuit and circuit.retry_at else None,
            "last_call": {"outcome": last["outcome"], **_age(last["started_at"], now)} if last else None,
        }
    statuses = {entry["status"] for entry in report.values()}
    overall = FAIL if FAIL in statuses else WARN if WARN in statuses else OK
    return {"status": overall, "gateways": report}


def _feed_last_completed_at() -> Callable[[], dt.datetime | None] | None:
    try:
        from musaned.registry.selectors import feed_last_completed_at
    except ImportError:
        return None
    return feed_last_completed_at


def check_passports_feed() -> dict[str, Any]:
    reader = _feed_last_completed_at()
    last = reader() if reader else None
    if last is None:
        return {"status": UNKNOWN, "at": None, "age_seconds": None}
    now = timezone.now()
    return {"status": OK if now - last <= FEED_STALE_AFTER else WARN, **_age(last, now)}


def check_workers() -> dict[str, Any]:
    last = (
        Probe.objects.filter(completed_at__isnull=False)
        .order_by("-completed_at")
        .values_list("completed_at", flat=True)
        .first()
    )
    if last is None:
        return {"status": UNKNOWN, "at": None, "age_seconds": None}
    now = timezone.now()
    return {"status": OK if now - last <= PROBE_STALE_AFTER else WARN, **_age(last, now)}


def check_dead_letters() -> dict[str, Any]:
    waiting = DeadLetter.objects.filter(state=DeadLetterState.OPEN).count()
    return {"status": WARN if waiting else OK, "open": waiting}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": check_database,
    "broker": check_broker,
    "gateways": check_gateways,
    "passports_feed": check_passports_feed,
    "workers": check_workers,
    "dead_letters": check_dead_letters,
}


def health_report() -> tuple[bool, dict[str, Any]]:
    """(healthy, report): healthy when the database and the broker answer."""
    checks: dict[str, Any] = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = {"status": FAIL, "error": type(exc).__name__}
    healthy = all(checks[name]["status"] == OK for name in ESSENTIAL)
    return healthy, {
        "status": OK if healthy else FAIL,
        "time": timezone.now().isoformat(),
        "checks": checks,
    }
