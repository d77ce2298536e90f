"""The nightly feed end to end on a small made-up nation: what is written, counted and announced."""

import pytest
from django.utils import translation

from musaned.accounts.models import AuditEvent
from musaned.registry.models import FeedRejectedRow, FeedRun, WorkerRecord
from musaned.registry.selectors import feed_last_completed_at

from .conftest import DAY, NEXT_DAY, Announced, feed_rows, nation, stored

pytestmark = pytest.mark.django_db


def test_a_first_feed_records_every_worker_and_announces_their_status(ingest, announced):
    run = ingest(DAY)

    expected = feed_rows(nation(), DAY)
    assert stored() == expected
    assert (run.state, run.read, run.added, run.changed, run.unchanged, run.malformed) == (
        "completed",
        600,
        600,
        0,
        0,
        0,
    )
    not_abroad = {passport for passport, (_, status, _) in expected.items() if status != "abroad"}
    assert sorted(event.passport_number for event in announced) == sorted(not_abroad)
    assert run.events == len(not_abroad)
    assert all(event.previous_status is None for event in announced)
    completed = AuditEvent.objects.get(action="registry.feed_completed")
    assert completed.target == run and completed.changes["added"] == 600
    assert feed_last_completed_at() == run.finished_at


def test_the_next_day_writes_only_the_changes_and_announces_each_once(ingest, announced):
    first = ingest(DAY)
    untouched_before = dict(WorkerRecord.objects.values_list("passport_number", "updated_at"))
    announced.clear()

    run = ingest(NEXT_DAY)

    before, after = feed_rows(nation(), DAY), feed_rows(nation(), NEXT_DAY)
    differ = {passport for passport in after if after[passport] != before[passport]}
    assert 10 < len(differ) < 60  # about 5% of 600
    assert stored() == after
    assert (run.read, run.added, run.changed, run.unchanged) == (600, 0, len(differ), 600 - len(differ))
    changed_by = dict(WorkerRecord.objects.values_list("passport_number", "last_run"))
    assert {passport for passport, last in changed_by.items() if last == run.pk} == differ
    assert all(changed_by[passport] == first.pk for passport in after.keys() - differ)
    updated = dict(WorkerRecord.objects.values_list("passport_number", "updated_at"))
    assert all(updated[passport] == untouched_before[passport] for passport in after.keys() - differ)

    expected = [
        Announced(after[p][1], p, after[p][0], after[p][2], before[p][1])
        for p in sorted(differ)
        if after[p][1] != "abroad"
    ]
    assert sorted(announced, key=lambda event: event.passport_number) == expected
    assert run.events == len(expected)
    assert {event.status for event in announced} == {"arrived", "exited", "absent", "imprisoned", "deceased"}


def test_reading_the_same_feed_again_changes_nothing_and_announces_nothing(ingest, announced):
    first = ingest(DAY)
    snapshot = list(WorkerRecord.objects.order_by("pk").values())
    announced.clear()

    again = ingest(DAY)

    assert again.pk != first.pk and again.state == "completed"
    assert (again.read, again.added, again.changed, again.unchanged, again.events) == (600, 0, 0, 600, 0)
    assert list(WorkerRecord.objects.order_by("pk").values()) == snapshot
    assert announced == []


def test_a_malformed_row_is_set_aside_with_its_reason_and_the_rest_goes_in(ingest):
    feed = nation(malformed_rows=5)

    run = ingest(DAY, gateway=feed)

    rejected = list(FeedRejectedRow.objects.filter(run=run).values_list("line_number", "reason"))
    # Broken lines sit every 120 lines from the 60th; the header is line 1 of the file.
    assert rejected == [
        (62, "field_count"),
        (182, "status"),
        (302, "date"),
        (422, "passport_number"),
        (542, "iqama_number"),
    ]
    assert (run.read, run.added, run.malformed, run.state) == (600, 595, 5, "completed")
    assert WorkerRecord.objects.count() == 595
    row = FeedRejectedRow.objects.get(run=run, reason="status")
    assert ",missing," in row.raw
    with translation.override("en"):
        assert row.get_reason_display() == "Unknown status"


def test_a_run_is_counted_consistently():
    run = FeedRun.objects.create(run_date=DAY)
    assert run.duration.total_seconds() >= 0
    assert feed_last_completed_at() is None
