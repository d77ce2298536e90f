"""Each way the passports service can fail the bulk feed: the run fails, nothing is half-written, and
a later try (the nightly task's retry) resumes it."""

import pytest
from django.utils import timezone

from musaned.accounts.models import AuditEvent
from musaned.integrations.base import GatewayError, GatewayTimeout, MalformedReply
from musaned.integrations.models import GatewayCall
from musaned.integrations.tasks import GatewayTask
from musaned.registry.models import FeedRun, WorkerRecord
from musaned.registry.tasks import feed_nightly

from .conftest import DAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("mode", "exception", "outcome"),
    [
        ("timeout", GatewayTimeout, "timeout"),
        ("error", GatewayError, "error"),
        ("malformed", MalformedReply, "malformed"),
    ],
)
def test_a_failing_feed_fails_the_run_and_the_next_try_completes_it(
    settings, ingest, announced, mode, exception, outcome
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"passports": mode}

    with pytest.raises(exception) as failure:
        ingest(DAY)

    assert failure.value.retryable
    run = FeedRun.objects.get()
    assert (run.state, run.lines_done, run.read) == ("failed", 0, 0)
    assert run.last_error.startswith("passports: ")
    assert not WorkerRecord.objects.exists() and announced == []
    call = GatewayCall.objects.get()
    assert (call.gateway, call.operation, call.outcome) == ("passports", "bulk_feed", outcome)
    failed = AuditEvent.objects.get(action="registry.feed_failed")
    assert (failed.target, failed.to_state) == (run, "failed")

    settings.INTEGRATIONS_FAKE_FAILURES = {}
    again = ingest(DAY)

    assert (again.pk, again.state, again.attempts, again.added) == (run.pk, "completed", 2, 600)
    assert WorkerRecord.objects.count() == 600


def test_the_nightly_task_retries_while_the_service_is_down_then_resumes(settings):
    settings.INTEGRATIONS_CIRCUIT_FAILURES = 100  # this test is about the task's retries, not the breaker
    settings.PASSPORTS_FAKE_FEED_SIZE = 120
    settings.INTEGRATIONS_FAKE_FAILURES = {"passports": "error"}

    assert feed_nightly.delay("2026-05-01").failed()

    run = FeedRun.objects.get()
    assert (run.run_date, run.state, run.attempts) == (DAY, "failed", GatewayTask.max_retries + 1)
    assert GatewayCall.objects.filter(outcome="error").count() == GatewayTask.max_retries + 1

    settings.INTEGRATIONS_FAKE_FAILURES = {}
    result = feed_nightly.delay("2026-05-01")

    assert result.successful() and result.result == run.pk
    run.refresh_from_db()
    assert (run.state, run.added) == ("completed", 120)


def test_the_nightly_task_reads_today_s_feed_by_default(settings):
    settings.PASSPORTS_FAKE_FEED_SIZE = 30
    feed_nightly.delay()
    run = FeedRun.objects.get()
    assert run.run_date == timezone.localdate()
    assert (run.state, run.read) == ("completed", 30)


def test_a_batch_holds_at_least_one_line(ingest):
    with pytest.raises(ValueError):
        ingest(DAY, batch_size=0)
    assert not FeedRun.objects.exists()
