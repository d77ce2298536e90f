"""Writes the registry knows by name: reading the passports service's nightly feed."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from musaned.accounts.services import audit_record
from musaned.integrations.base import gateway as gateway_for
from musaned.integrations.interfaces import PassportsGateway, TravelStatus

from . import signals, writers
from .models import FeedEvent, FeedRejectedRow, FeedRun, FeedState, RejectReason, WorkerRecord
from .parsing import FeedRow, RowRejected, parse_feed_row

log = logging.getLogger(__name__)

BATCH_SIZE = 10_000
# Events an announcer takes at a time, and how long they are its own: past that, an announcer that
# stopped half-way is taken to be gone and what it had not sent is sent again.
ANNOUNCE_CHUNK = 500
ANNOUNCE_CLAIM = dt.timedelta(minutes=5)
COUNTS = ("lines_done", "read", "added", "changed", "unchanged", "malformed", "events")

SIGNAL_FOR_STATUS = {
    TravelStatus.ARRIVED: signals.worker_arrived,
    TravelStatus.EXITED: signals.worker_exited,
    TravelStatus.ABSENT: signals.worker_absent,
    TravelStatus.IMPRISONED: signals.worker_imprisoned,
    TravelStatus.DECEASED: signals.worker_deceased,
}


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
    status is announced through the signals in signals.py by a worker once its batch has committed:
    the batch writes its events (FeedEvent) with its records, so none is lost if a process dies before
    announcing them; what an earlier run left unannounced is announced first. A line that cannot be
    read is set aside (FeedRejectedRow) with its reason; the rest goes on.

    `set_based` chooses how batches are written: None picks PostgreSQL's COPY and set-based UPDATE
    when the database is PostgreSQL and the ORM otherwise; both give the same result. Gateway errors
    (an outage, a timeout, a broken header or connection) mark the run failed and are raised again for
    the caller (the nightly task) to retry.
    """
    if batch_size < 1:
        raise ValueError("A batch holds at least one line.")
    write = _writer(set_based)
    feed = gateway if gateway is not None else gateway_for("passports")
    feed_events_announce()
    run = _run_claim(run_date=run_date)
    try:
        lines = feed.bulk_feed(run_date=run_date, skip=run.lines_done)
    except Exception as exc:
        _run_fail(run=run, error=exc)
        raise
    batches = _parsed_batches(run, lines, batch_size)
    try:
        for batch in batches:
            if not _batch_ingest(run=run, batch=batch, write=write):
                log.warning("feed of %s: another reader is ahead of this one, which stops", run_date)
                return FeedRun.objects.get(pk=run.pk)
    except Exception as exc:
        _run_fail(run=run, error=exc)
        raise
    finally:
        batches.close()
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


@dataclass(frozen=True)
class _Batch:
    first: int  # lines of the feed before this batch
    size: int  # lines in it
    rows: list[FeedRow]
    rejected: list[FeedRejectedRow]


def _parsed_batches(run: FeedRun, lines: Iterator[str], size: int) -> Generator[_Batch]:
    """The feed's batches, read and parsed one ahead in a thread while the current one is written:
    the database works on one batch while Python reads the next, so both cores are busy."""

    def parse_next(first: int) -> _Batch | None:
        block = list(itertools.islice(lines, size))
        return _parse_batch(run, first, block) if block else None

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-parse") as reader:
        pending = reader.submit(parse_next, run.lines_done)
        while (batch := pending.result()) is not None:
            pending = reader.submit(parse_next, batch.first + batch.size)
            yield batch


def _parse_batch(run: FeedRun, first: int, lines: list[str]) -> _Batch:
    """Every line read, or set aside with its reason (no database work: this runs beside the writer)."""
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
    return _Batch(first=first, size=len(lines), rows=list(rows.values()), rejected=rejected)


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


def _batch_ingest(*, run: FeedRun, batch: _Batch, write: Callable[..., writers.Changes]) -> bool:
    """Write and count one batch; False (nothing written) if another reader already did it."""
    with transaction.atomic():
        reached = FeedRun.objects.select_for_update().filter(pk=run.pk, state=FeedState.RUNNING)
        if batch.first not in reached.values_list("lines_done", flat=True):
            return False
        added, changed = write(batch.rows, run=run, now=timezone.now())
        FeedRejectedRow.objects.bulk_create(batch.rejected)
        events = _events(run, added, changed)
        FeedEvent.objects.bulk_create(events)
        FeedRun.objects.filter(pk=run.pk).update(
            lines_done=batch.first + batch.size,
            read=F("read") + batch.size,
            added=F("added") + len(added),
            changed=F("changed") + len(changed),
            unchanged=F("unchanged") + len(batch.rows) - len(added) - len(changed),
            malformed=F("malformed") + len(batch.rejected),
            events=F("events") + len(events),
        )
        if events:
            # Announced by a worker, so receivers never slow the reading down; robust: a broker that is
            # down leaves the events waiting for the periodic announcer, and the feed goes on.
            transaction.on_commit(functools.partial(_announce_later, run.pk), robust=True)
    return True


def _rejected(run: FeedRun, number: int, line: str, reason: str) -> FeedRejectedRow:
    return FeedRejectedRow(
        run=run, line_number=number, raw=line[: FeedRejectedRow.RAW_MAX_LENGTH], reason=reason
    )


def _events(run: FeedRun, added: list[FeedRow], changed: list[tuple[FeedRow, str]]) -> list[FeedEvent]:
    """A new worker's status, or a change of status, that something downstream acts on."""
    found = [(row, None) for row in added] + [
        (row, before) for row, before in changed if row.status != before
    ]
    return [
        FeedEvent(
            run=run,
            passport_number=row.passport_number,
            iqama_number=row.iqama_number,
            status=row.status,
            status_date=row.status_date,
            previous_status=before,
        )
        for row, before in found
        if row.status in SIGNAL_FOR_STATUS
    ]


def _announce_later(run_id: int) -> None:
    from .tasks import feed_events_announce as announce

    announce.delay(run_id=run_id)


def feed_events_announce(*, run_id: int | None = None, limit: int | None = None) -> int:
    """Send the signal of each feed event waiting to be announced (of one run, or of all), at most
    `limit` of them, and return how many were sent.

    At least once, never lost: events are taken a chunk at a time under a claim that is committed before
    any receiver runs, and each is deleted as soon as its signal has gone, so a process killed in
    between leaves its events to be sent again once the claim runs out (receivers are idempotent).
    Events another announcer holds are left to it. Call it outside a transaction, so that receivers
    and deletions commit one by one.
    """
    sent = 0
    while limit is None or sent < limit:
        size = ANNOUNCE_CHUNK if limit is None else min(ANNOUNCE_CHUNK, limit - sent)
        events = _events_claim(run_id=run_id, size=size)
        if not events:
            break
        for event in events:
            _event_send(event)
            FeedEvent.objects.filter(pk=event.pk).delete()
            sent += 1
    return sent


def _events_claim(*, run_id: int | None, size: int) -> list[FeedEvent]:
    """The oldest `size` waiting events no one holds, now held by this announcer for ANNOUNCE_CLAIM.

    PostgreSQL locks the rows it picks and skips those another announcer is picking (SKIP LOCKED);
    SQLite has one writer at a time. Either way the UPDATE claims exactly the rows picked."""
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    waiting = FeedEvent.objects.filter(free)
    if run_id is not None:
        waiting = waiting.filter(run_id=run_id)
    with transaction.atomic():
        events = list(waiting.select_for_update(skip_locked=True).order_by("pk")[:size])
        FeedEvent.objects.filter(free, pk__in=[event.pk for event in events]).update(
            claimed_until=now + ANNOUNCE_CLAIM
        )
    return events


def _event_send(event: FeedEvent) -> None:
    """The event's signal, with the arguments signals.py documents; a receiver's error is logged only."""
    for receiver, answer in SIGNAL_FOR_STATUS[event.status].send_robust(
        sender=WorkerRecord,
        passport_number=event.passport_number,
        iqama_number=event.iqama_number,
        status_date=event.status_date,
        previous_status=event.previous_status,
        run_id=event.run_id,
    ):
        if isinstance(answer, Exception):
            log.error("feed event %s: receiver %r failed", event.status, receiver, exc_info=answer)


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
