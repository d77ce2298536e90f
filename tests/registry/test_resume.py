"""A run that dies part-way resumes after its last committed batch and ends as an uninterrupted run would."""

import pytest

from musaned.integrations.base import GatewayError
from musaned.registry.models import FeedRejectedRow, FeedRun, WorkerRecord

from .conftest import DAY, NEXT_DAY, feed_rows, nation, stored

pytestmark = pytest.mark.django_db

COUNTS = ("read", "added", "changed", "unchanged", "malformed", "events", "lines_done")


def outcome(run, announced):
    """What a run leaves behind, without what differs between two runs of the same feed."""
    return {
        "records": stored(),
        "counts": {name: getattr(run, name) for name in COUNTS},
        "events": sorted(announced, key=lambda event: event.passport_number),
        "set_aside": list(FeedRejectedRow.objects.filter(run=run).values_list("line_number", "reason")),
    }


def test_a_run_cut_off_mid_feed_resumes_and_ends_as_an_uninterrupted_run(ingest, announced):
    ingest(DAY)
    announced.clear()
    # The connection drops once, after 250 lines: two batches of 100 are committed, the third is not.
    flaky = nation(break_after=250, malformed_rows=6)

    with pytest.raises(GatewayError):
        ingest(NEXT_DAY, gateway=flaky, batch_size=100)

    run = FeedRun.objects.get(run_date=NEXT_DAY)
    assert (run.state, run.lines_done, run.read, run.attempts) == ("failed", 200, 200, 1)
    assert "dropped" in run.last_error
    before, after = feed_rows(nation(), DAY), feed_rows(nation(), NEXT_DAY)
    order = list(after)
    now = stored()
    assert all(now[passport] == after[passport] for passport in order[:200] if passport in now)
    assert all(now[passport] == before[passport] for passport in order[200:])
    announced_before_the_cut = list(announced)
    assert announced_before_the_cut

    resumed = ingest(NEXT_DAY, gateway=flaky, batch_size=100)

    assert (resumed.pk, resumed.state, resumed.attempts) == (run.pk, "completed", 2)
    assert announced[: len(announced_before_the_cut)] == announced_before_the_cut
    interrupted = outcome(resumed, announced)
    assert len({event.passport_number for event in announced}) == len(announced)

    # The same two days again from an empty registry, this time without a cut.
    WorkerRecord.objects.all().delete()
    FeedRun.objects.all().delete()
    ingest(DAY)
    announced.clear()
    uninterrupted = ingest(NEXT_DAY, gateway=nation(malformed_rows=6), batch_size=100)

    assert outcome(uninterrupted, announced) == interrupted


def test_a_run_left_running_by_a_killed_process_is_taken_up_again(ingest, announced):
    with pytest.raises(GatewayError):
        ingest(DAY, gateway=nation(break_after=450), batch_size=200)
    # As if the process had been killed before it could record the failure.
    FeedRun.objects.update(state="running", last_error="")

    run = ingest(DAY, batch_size=200)

    assert (run.state, run.attempts, run.read, run.added) == ("completed", 2, 600, 600)
    assert stored() == feed_rows(nation(), DAY)
    assert len({event.passport_number for event in announced}) == len(announced) == run.events


def test_a_completed_run_is_not_resumed_but_read_again():
    first = FeedRun.objects.create(run_date=DAY, state="completed", lines_done=600)
    assert first.pk != FeedRun.objects.create(run_date=DAY).pk
