"""Memory stays flat whatever the size of the feed: ten times the workers, about the same peak."""

import datetime as dt
import itertools
import tracemalloc

import pytest
from django.db import connection
from django.utils import timezone

from musaned.registry.models import WorkerRecord
from musaned.registry.services import feed_ingest

from .conftest import DAY, NEXT_DAY, nation

# Real commits: announcements run after each batch instead of piling up until the test's end.
pytestmark = pytest.mark.django_db(transaction=True)

BATCH = 2_000


def store(size: int) -> None:
    """The registry as the feed of DAY left it, written straight into the table (set-up, not measured)."""
    now = timezone.now()
    lines = nation(feed_size=size, changed_fraction=0.01).bulk_feed(run_date=DAY)
    with connection.cursor() as cursor:
        while block := list(itertools.islice(lines, 10_000)):
            cursor.executemany(
                "INSERT INTO registry_workerrecord (passport_number, iqama_number, status, status_date,"
                " updated_at) VALUES (%s, %s, %s, %s, %s)",
                [(*line.split(","), now) for line in block],
            )


def peak_bytes(size: int) -> int:
    WorkerRecord.objects.all().delete()
    store(size)
    gateway = nation(feed_size=size, changed_fraction=0.01)
    tracemalloc.start()
    try:
        run = feed_ingest(run_date=NEXT_DAY, gateway=gateway, batch_size=BATCH)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (run.state, run.read, run.added) == ("completed", size, 0)
    assert 0 < run.changed < size * 0.02
    return peak


def test_a_feed_ten_times_larger_needs_about_the_same_memory():
    peak_bytes(BATCH)  # first use: imports, caches and prepared statements are not the feed's
    small = peak_bytes(10_000)
    large = peak_bytes(100_000)
    # Anything kept per line (rows, events, queries) would take about ten times as much; the batch in
    # hand stays the same size.
    assert large < small * 1.5, (small, large)


def test_the_stored_state_is_the_feed_s(django_capture_on_commit_callbacks):
    store(50)
    with django_capture_on_commit_callbacks(execute=True):
        run = feed_ingest(run_date=DAY, gateway=nation(feed_size=50, changed_fraction=0.01))
    assert (run.unchanged, run.changed, run.added) == (50, 0, 0)
    assert WorkerRecord.objects.filter(status_date__lte=DAY - dt.timedelta(days=0)).count() == 50
