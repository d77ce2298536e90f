"""Writes the registry knows by name: reading the passports service's nightly feed."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from musaned.accounts.services import audit_record
from musaned.integrations.base import gateway as gateway_for
from musaned.integrations.interfaces import PassportsGateway, TravelStatus

from . import signals, writers
from .models import FeedRejectedRow, FeedRun, FeedState, RejectReason, WorkerRecord
from .parsing import FeedRow, RowRejected, parse_feed_row

log = logging.getLogger(__name__)

BATCH_SIZE = 10_000
COUNTS = ("lines_done", "read", "added", "changed", "unchanged", "malformed", "events")

SIGNAL_FOR_STATUS = {
    TravelStatus.ARRIVED: signals.worker_arrived,
    TravelStatus.EXITED: signals.worker_exited,
    TravelStatus.ABSENT: signals.worker_absent,
    TravelStatus.IMPRISONED: signals.worker_imprisoned,
    TravelStatus.DECEASED: signals.worker_deceased,
}

Event = tuple[Any, FeedRow, str | None]


def feed_ingest(
    *,
    run_date: dt.date,
    gateway: PassportsGateway | None = None,
    batch_size: int = BATCH_SIZE,
    set_based: bool | None = None,
) -> FeedRun:
    """Bring the registry up to date with the passports service's feed of `run_date`.

    The feed is streamed and taken `batch_size` lines at a time, so memory stays the same whatever its
    size. Each batch commits on its own, together with the run's counts and the line it reached: this
    service is deliberately not one transaction, so that a failure loses at most the batch in hand, and
    calling it again for the same day resumes the failed (or interrupted) run after its last committed
    batch. Once a run has completed, calling again reads the feed afresh as a new run, which finds
    nothing to change if the feed is the same.

    Only workers whose iqama number, status or status date differ are written, and each change of
    status is announced through the signals in signals.py once its batch has committed. A line that
    cannot be read is set aside (FeedRejectedRow) with its reason; the rest goes on.

    `set_based` chooses how batches are written: None picks PostgreSQL's COPY and set-based UPDATE
    when the database is PostgreSQL and the ORM otherwise; both give the same result. Gateway errors
    (an outage, a timeout, a broken header or connection) mark the run failed and are raised again for
    the caller (the nightly task) to retry.
    """
    if batch_size < 1:
        raise ValueError("A batch holds at least one line.")
    write = _writer(set_based)
    feed = gateway if gateway is not None else gateway_for("passports")
    run = _run_claim(run_date=run_date)
    try:
        lines = feed.bulk_feed(run_date=run_date, skip=run.lines_done)
    except Exception as exc:
        _run_fail(run=run, error=exc)
        raise
    try:
        position = run.lines_done
        for batch in _batches(lines, batch_size):
            if not _batch_ingest(run=run, first=position, lines=batch, write=write):
                log.warning("feed of %s: another reader is ahead of this one, which stops", run_date)
                return FeedRun.objects.get(pk=run.pk)
            position += len(batch)
    except Exception as exc:
        _run_fail(run=run, error=exc)
        raise
    finally:
        lines.close()
    return _run_complete(run=run)


def _writer(set_based: bool | None) -> Callable[..., writers.Changes]:
    postgresql = connection.vendor == "postgresql"
    if set_based and not postgresql:
        raise ValueError("The set-based feed writer needs PostgreSQL.")
    return (
        writers.write_set_based
        if (postgresql if set_based is None else set_based)
        else writers.write_with_orm
    )


def _batches(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    while batch := list(itertools.islice(lines, size)):
        yield batch


def _run_claim(*, run_date: dt.date) -> FeedRun:
    """The night's run to continue (running or failed), or a new one if there is none or it completed."""
    for _ in range(2):
        try:
            with transaction.atomic():
                run = FeedRun.objects.select_for_update().filter(run_date=run_date).order_by("-id").first()
                if run is None or run.state == FeedState.COMPLETED:
                    return FeedRun.objects.create(run_date=run_date)
                FeedRun.objects.filter(pk=run.pk).update(
                    state=FeedState.RUNNING, finished_at=None, attempts=F("attempts") + 1
                )
                run.refresh_from_db()
                return run
        except IntegrityError:
            continue  # another reader started the night's run at this very moment: join it
    raise RuntimeError(f"Could not start or resume the feed run of {run_date}")


def _batch_ingest(
    *, run: FeedRun, first: int, lines: list[str], write: Callable[..., writers.Changes]
) -> bool:
    """Read, write and count one batch; False (nothing written) if another reader already did it."""
    rows: dict[str, FeedRow] = {}
    rejected = []
    for number, line in enumerate(lines, start=first + 2):  # line 1 of the file is the header
        try:
            row = parse_feed_row(line, latest=run.run_date)
        except RowRejected as exc:
            rejected.append(_rejected(run, number, line, exc.reason))
            continue
        if row.passport_number in rows:
            rejected.append(_rejected(run, number, line, RejectReason.REPEATED))
            continue
        rows[row.passport_number] = row
    with transaction.atomic():
        reached = FeedRun.objects.select_for_update().filter(pk=run.pk, state=FeedState.RUNNING)
        if first not in reached.values_list("lines_done", flat=True):
            return False
        added, changed = write(list(rows.values()), run=run, now=timezone.now())
        FeedRejectedRow.objects.bulk_create(rejected)
        events = _events(added, changed)
        FeedRun.objects.filter(pk=run.pk).update(
            lines_done=first + len(lines),
            read=F("read") + len(lines),
            added=F("added") + len(added),
            changed=F("changed") + len(changed),
            unchanged=F("unchanged") + len(rows) - len(added) - len(changed),
            malformed=F("malformed") + len(rejected),
            events=F("events") + len(events),
        )
        if events:
            transaction.on_commit(functools.partial(_announce, events, run.pk))
    return True


def _rejected(run: FeedRun, number: int, line: str, reason: str) -> FeedRejectedRow:
    return FeedRejectedRow(
        run=run, line_number=number, raw=line[: FeedRejectedRow.RAW_MAX_LENGTH], reason=reason
    )


def _events(added: list[FeedRow], changed: list[tuple[FeedRow, str]]) -> list[Event]:
    """A new worker's status, or a change of status, that something downstream acts on."""
    found = [(row, None) for row in added] + [
        (row, before) for row, before in changed if row.status != before
    ]
    return [
        (SIGNAL_FOR_STATUS[row.status], row, before)
        for row, before in found
        if row.status in SIGNAL_FOR_STATUS
    ]


def _announce(events: list[Event], run_id: int) -> None:
    for signal, row, before in events:
        for receiver, answer in signal.send_robust(
            sender=WorkerRecord,
            passport_number=row.passport_number,
            iqama_number=row.iqama_number,
            status_date=row.status_date,
            previous_status=before,
            run_id=run_id,
        ):
            if isinstance(answer, Exception):
                log.error("feed event %s: receiver %r failed", row.status, receiver, exc_info=answer)


def _run_complete(*, run: FeedRun) -> FeedRun:
    with transaction.atomic():
        completed = FeedRun.objects.filter(pk=run.pk, state=FeedState.RUNNING).update(
            state=FeedState.COMPLETED, finished_at=timezone.now()
        )
        run.refresh_from_db()
        if completed:
            audit_record(
                action="registry.feed_completed",
                actor=None,
                target=run,
                from_state=FeedState.RUNNING,
                to_state=FeedState.COMPLETED,
                changes={name: getattr(run, name) for name in COUNTS},
            )
    log.info("feed of %s: %s", run.run_date, ", ".join(f"{name} {getattr(run, name)}" for name in COUNTS))
    return run


def _run_fail(*, run: FeedRun, error: BaseException) -> None:
    """Record why the run stopped; it stays resumable. Never hides the error that stopped it."""
    text = (str(error) or type(error).__name__)[: FeedRun._meta.get_field("last_error").max_length]
    try:
        with transaction.atomic():
            failed = FeedRun.objects.filter(pk=run.pk, state=FeedState.RUNNING).update(
                state=FeedState.FAILED, finished_at=timezone.now(), last_error=text
            )
            if failed:
                run.refresh_from_db()
                audit_record(
                    action="registry.feed_failed",
                    actor=None,
                    target=run,
                    from_state=FeedState.RUNNING,
                    to_state=FeedState.FAILED,
                    changes={"error": text, "lines_done": run.lines_done},
                )
    except DatabaseError:
        log.exception("feed of %s: could not record that the run failed", run.run_date)
    log.warning("feed of %s stopped after %s lines: %s", run.run_date, run.lines_done, text)
