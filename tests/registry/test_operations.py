"""What operators use: the command, the read-only admin pages, and the feed's age for the health check."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from musaned.accounts.models import User
from musaned.registry.models import FeedRejectedRow, FeedRun, WorkerRecord
from musaned.registry.selectors import feed_last_completed_at
from tests.factories import with_second_factor

from .conftest import DAY, nation

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser(email="admin@example.sa", password="Strong-pass-2026!")
    with_second_factor(admin)
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = "en"
    return client


def test_the_command_reads_a_day_s_feed_and_says_what_it_found(settings):
    settings.PASSPORTS_FAKE_FEED_MALFORMED = 2
    out = StringIO()

    with translation.override("en"):
        call_command("feed_ingest", "--date", "2026-05-01", "--size", "300", stdout=out)

    run = FeedRun.objects.get()
    assert (run.run_date, run.state, run.added, run.malformed) == (DAY, "completed", 298, 2)
    assert "300 read, 298 new, 0 changed, 0 unchanged, 2 set aside" in out.getvalue()
    assert WorkerRecord.objects.count() == 298


def test_the_command_reports_an_outage_and_how_to_resume(settings):
    settings.INTEGRATIONS_FAKE_FAILURES = {"passports": "timeout"}
    with translation.override("en"), pytest.raises(CommandError, match="Run the command again to resume it"):
        call_command("feed_ingest", "--date", "2026-05-01", stdout=StringIO())
    assert FeedRun.objects.get().state == "failed"


def test_the_command_sizes_only_the_fake_feed(settings):
    settings.INTEGRATIONS_MODE = "http"
    with pytest.raises(CommandError):
        call_command("feed_ingest", "--size", "10", stdout=StringIO())
    assert not FeedRun.objects.exists()


def test_the_feed_s_age_is_the_last_completed_run(ingest):
    assert feed_last_completed_at() is None
    FeedRun.objects.create(run_date=DAY, state="failed")
    assert feed_last_completed_at() is None

    run = ingest(DAY, gateway=nation(feed_size=20))

    assert feed_last_completed_at() == run.finished_at


def test_runs_and_set_aside_lines_are_shown_read_only(admin_client, ingest, django_assert_max_num_queries):
    run = ingest(DAY, gateway=nation(feed_size=50, malformed_rows=3))
    for day in range(2, 12):
        FeedRun.objects.create(run_date=DAY.replace(day=day), state="completed")

    with django_assert_max_num_queries(16):
        runs = admin_client.get(reverse("admin:registry_feedrun_changelist"))
    assert runs.status_code == 200
    page = runs.content.decode()
    rejected_url = reverse("admin:registry_feedrejectedrow_changelist") + f"?run__id__exact={run.pk}"
    assert rejected_url.replace("&", "&amp;") in page or rejected_url in page

    detail = admin_client.get(reverse("admin:registry_feedrun_change", args=[run.pk]))
    assert detail.status_code == 200 and "0:00:0" in detail.content.decode()
    assert 'name="read"' not in detail.content.decode()

    with django_assert_max_num_queries(16):
        rejected = admin_client.get(rejected_url)
    assert rejected.status_code == 200
    assert FeedRejectedRow.objects.filter(run=run).count() == 3
    for row in FeedRejectedRow.objects.filter(run=run):
        assert row.raw in rejected.content.decode()

    assert admin_client.get(reverse("admin:registry_feedrun_add")).status_code == 403
    worker = WorkerRecord.objects.first()
    found = admin_client.get(reverse("admin:registry_workerrecord_changelist"), {"q": worker.passport_number})
    assert found.status_code == 200 and worker.passport_number in found.content.decode()
    assert (
        admin_client.post(reverse("admin:registry_workerrecord_delete", args=[worker.pk])).status_code == 403
    )
