"""PostgreSQL's COPY and set-based path: the same result as the ORM path, untouched rows left alone, and
two readers of the same night at once (bash .ci/run)."""

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL

from musaned.registry.models import FeedRejectedRow, FeedRun, WorkerRecord
from musaned.registry.services import feed_ingest
from tests.concurrency import at_once

from .conftest import DAY, NEXT_DAY, feed_rows, logged, nation

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (bash .ci/run)"),
]


def two_days(ingest, announced, *, set_based):
    """Read two days of the same feed with one writer; what it leaves, minus ids and clock times."""
    WorkerRecord.objects.all().delete()
    FeedRun.objects.all().delete()
    announced.clear()
    runs = [
        ingest(day, gateway=nation(malformed_rows=7), batch_size=150, set_based=set_based)
        for day in (DAY, NEXT_DAY)
    ]
    return {
        "records": sorted(
            WorkerRecord.objects.values_list(
                "passport_number", "iqama_number", "status", "status_date", "last_run__run_date"
            )
        ),
        "counts": [
            (run.read, run.added, run.changed, run.unchanged, run.malformed, run.events) for run in runs
        ],
        "events": list(announced),
        "set_aside": sorted(FeedRejectedRow.objects.values_list("run__run_date", "line_number", "reason")),
    }


@pytest.mark.django_db
def test_both_writers_give_the_same_result_on_the_same_feed(ingest, announced):
    set_based = two_days(ingest, announced, set_based=True)
    with_orm = two_days(ingest, announced, set_based=False)

    assert set_based == with_orm
    assert set_based["counts"][1][2] > 0 and set_based["events"]


def row_versions():
    """Each row's transaction id: PostgreSQL gives a row a new one whenever it is rewritten."""
    return WorkerRecord.objects.annotate(version=RawSQL("xmin::text", [])).values_list("pk", "version")


@pytest.mark.django_db
def test_reading_the_same_feed_again_writes_no_row(ingest):
    ingest(DAY)
    versions = dict(row_versions())

    again = ingest(DAY)

    assert (again.changed, again.added, again.unchanged) == (0, 0, 600)
    assert dict(row_versions()) == versions  # not one row rewritten


@pytest.mark.django_db(transaction=True)
def test_two_readers_of_the_same_night_at_once_announce_each_change_once(announced):
    def read():
        return feed_ingest(run_date=DAY, gateway=logged(nation()), batch_size=50)

    _, errors = at_once(read, read)

    assert errors == []
    run = FeedRun.objects.get()
    assert (run.state, run.read, run.added) == ("completed", 600, 600)
    assert sorted(WorkerRecord.objects.values_list("passport_number", flat=True)) == sorted(
        feed_rows(nation(), DAY)
    )
    passports = [event.passport_number for event in announced]
    assert len(passports) == len(set(passports)) == run.events
