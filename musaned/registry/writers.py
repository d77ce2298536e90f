"""Writing one batch of feed rows: only what changed, in one of two ways with the same result.

Each writer takes the batch's valid rows (one per passport number) and returns the rows of workers it
added and, for the workers it changed, the row with the status they had before. Both run inside the
batch's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db import connection

from .models import FeedRun, WorkerRecord
from .parsing import FeedRow

Changes = tuple[list[FeedRow], list[tuple[FeedRow, str]]]

FIELDS = ("iqama_number", "status", "status_date")
NULL = "\\N"  # COPY's text format


def write_with_orm(rows: list[FeedRow], *, run: FeedRun, now: dt.datetime) -> Changes:
    """Any database: read the batch's workers (locked) in a few queries, compare in Python, insert the
    new ones with bulk_create and rewrite the changed ones with one UPDATE statement run for each
    (executemany: bulk_update's CASE expressions cost milliseconds per row to build)."""
    known = {}
    for chunk in _chunks([row.passport_number for row in rows]):
        records = WorkerRecord.objects.select_for_update().filter(passport_number__in=chunk)
        for pk, passport, *values in records.values_list("pk", "passport_number", *FIELDS):
            known[passport] = pk, tuple(values)
    added, changed, updates = [], [], []
    for row in rows:
        found = known.get(row.passport_number)
        if found is None:
            added.append(row)
        elif found[1] != row[1:]:
            changed.append((row, found[1][1]))
            updates.append((row.iqama_number, row.status, _db_date(row.status_date), found[0]))
    if updates:
        moment = WorkerRecord._meta.get_field("updated_at").get_db_prep_value(now, connection)
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE registry_workerrecord SET iqama_number = %s, status = %s, status_date = %s,"
                " updated_at = %s, last_run_id = %s WHERE id = %s",
                [(iqama, status, date, moment, run.pk, pk) for iqama, status, date, pk in updates],
            )
    WorkerRecord.objects.bulk_create(
        [WorkerRecord(**row._asdict(), updated_at=now, last_run=run) for row in added], ignore_conflicts=True
    )
    return added, changed


def _db_date(value: dt.date | None) -> str | None:
    return connection.ops.adapt_datefield_value(value)


def _chunks(values: list[str]) -> Iterator[list[str]]:
    size = (connection.features.max_query_params or 10_000) - 1
    for start in range(0, len(values), size):
        yield values[start : start + size]


def write_set_based(rows: list[FeedRow], *, run: FeedRun, now: dt.datetime) -> Changes:
    """PostgreSQL: COPY the batch into a temporary staging table, then one statement that finds the
    rows that differ or are new (one index probe per row), UPDATEs the first and INSERTs the second
    (ON CONFLICT DO NOTHING), returning both with the previous status. Nothing unchanged is written."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS registry_feed_staging ("
            "passport_number varchar(20) NOT NULL, iqama_number varchar(10) NOT NULL,"
            " status varchar(12) NOT NULL, status_date date)"
        )
        cursor.execute("TRUNCATE registry_feed_staging")
        # Valid rows hold no tab, backslash or line break: they go in COPY's text format as they are.
        text = "".join(
            f"{row[0]}\t{row[1]}\t{row[2]}\t{row[3].isoformat() if row[3] else NULL}\n" for row in rows
        )
        with cursor.cursor.copy("COPY registry_feed_staging FROM STDIN") as copy:
            copy.write(text)
        # A batch is a sliver of the registry: probing the index row by row beats any merge or hash
        # join over millions of rows, whatever the planner guesses of a staging table it never analysed.
        cursor.execute("SET LOCAL enable_mergejoin = off; SET LOCAL enable_hashjoin = off")
        cursor.execute(APPLY_STAGED, {"now": now, "run": run.pk})
        found = cursor.fetchall()
        cursor.execute("RESET enable_mergejoin; RESET enable_hashjoin")
    added = [FeedRow(*values) for *values, before, new in found if new]
    changed = [(FeedRow(*values), before) for *values, before, new in found if not new]
    return added, changed


# The staging table and the registry's table by name: both are this app's own.
APPLY_STAGED = """
WITH difference AS (
    SELECT s.passport_number, s.iqama_number, s.status, s.status_date, r.id, r.status AS before
    FROM registry_feed_staging AS s
    LEFT JOIN registry_workerrecord AS r ON r.passport_number = s.passport_number
    WHERE r.id IS NULL
       OR (r.iqama_number, r.status, r.status_date) IS DISTINCT FROM (s.iqama_number, s.status, s.status_date)
), updated AS (
    UPDATE registry_workerrecord AS r
    SET iqama_number = d.iqama_number, status = d.status, status_date = d.status_date,
        updated_at = %(now)s, last_run_id = %(run)s
    FROM difference AS d WHERE r.id = d.id
    RETURNING d.passport_number, d.iqama_number, d.status, d.status_date, d.before, false
), inserted AS (
    INSERT INTO registry_workerrecord
        (passport_number, iqama_number, status, status_date, updated_at, last_run_id)
    SELECT passport_number, iqama_number, status, status_date, %(now)s, %(run)s
    FROM difference WHERE id IS NULL
    ON CONFLICT (passport_number) DO NOTHING
    RETURNING passport_number, iqama_number, status, status_date, NULL::varchar, true
)
SELECT * FROM updated UNION ALL SELECT * FROM inserted
"""
