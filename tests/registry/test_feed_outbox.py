"""No announcement of the feed is lost: a batch's events are stored with its records and each is deleted
only once announced, so what a stopped process left is announced by the next run or the scheduled task."""

import datetime as dt
import logging
from collections.abc import Generator

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from households.models import EmploymentFlag, FlagKind
from musaned.accounts.models import User
from musaned.accounts.roles import Role
from musaned.celery import app as celery_app
from musaned.integrations.interfaces import PassportsGateway, PassportStatus
from musaned.registry import services, tasks
from musaned.registry.models import FeedEvent, FeedRun
from musaned.registry.services import feed_events_announce, feed_ingest
from tests.accounts.support import with_totp
from tests.concurrency import at_once
from tests.factories import EmployedWorkerFactory, OfficeFactory, UserFactory
from tests.recruitment.delivery_support import office_staff, shift_clock, signed_in

from .conftest import DAY, NEXT_DAY, SIGNALS, Announced, logged, nation

pytestmark = pytest.mark.django_db


class WrittenFeed(PassportsGateway):
    """The passports service with a feed written out by hand."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def worker_status(self, *, passport_number: str) -> PassportStatus:
        raise AssertionError("the feed does not ask about single workers")

    def bulk_feed(self, *, run_date: dt.date, skip: int = 0) -> Generator[str, None, None]:
        return (line for line in self.lines[skip:])


def stopped_after_commit(run_date=DAY, gateway=None, **options) -> FeedRun:
    """A run whose process stops right after each batch's commit: the announcements that follow a
    commit never run (the test's transaction is never committed, so on-commit callbacks never fire)."""
    return feed_ingest(run_date=run_date, gateway=logged(gateway or nation()), **options)


def waiting() -> list[Announced]:
    """The events waiting to be announced, oldest first, as a receiver would be told them."""
    return [
        Announced(*values)
        for values in FeedEvent.objects.order_by("pk").values_list(
            "status", "passport_number", "iqama_number", "status_date", "previous_status"
        )
    ]


@pytest.fixture
def run_ids():
    """The run each announced event names, in order."""
    seen: list[int] = []

    def receiver(sender, run_id, **kwargs):
        seen.append(run_id)

    for signal in SIGNALS.values():
        signal.connect(receiver)
    yield seen
    for signal in SIGNALS.values():
        signal.disconnect(receiver)


def test_the_normal_path_announces_every_change_and_leaves_nothing_waiting(ingest, announced):
    run = ingest(DAY, batch_size=100)

    assert run.events > 0 and len(announced) == run.events
    assert not FeedEvent.objects.exists()


def test_events_of_a_run_stopped_after_its_commits_are_announced_by_the_next_run(ingest, announced, run_ids):
    stopped = stopped_after_commit(batch_size=200)

    assert announced == []
    left = waiting()
    assert len(left) == stopped.events > 0
    assert {event.status for event in left} <= set(SIGNALS)

    again = ingest(DAY)  # the same feed: nothing new to write, but the leftovers go out first

    assert (again.changed, again.events) == (0, 0)
    assert announced == left
    assert set(run_ids) == {stopped.pk}
    assert not FeedEvent.objects.exists()
    stopped.refresh_from_db()
    assert stopped.events == len(left)  # the run's count is what it announced


def test_leftovers_are_announced_before_the_next_day_s_changes(ingest, announced):
    stopped = stopped_after_commit()
    left = waiting()

    next_day = ingest(NEXT_DAY)

    assert next_day.events > 0
    assert announced[: len(left)] == left
    assert len(announced) == stopped.events + next_day.events
    assert not FeedEvent.objects.exists()


def test_the_scheduled_task_announces_leftovers_and_the_employment_is_flagged(
    django_capture_on_commit_callbacks,
):
    worker = EmployedWorkerFactory(passport_number="ABSENT001")
    run = stopped_after_commit(gateway=WrittenFeed([f"ABSENT001,,absent,{DAY.isoformat()}"]))

    assert FeedEvent.objects.count() == run.events == 1
    assert not EmploymentFlag.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.feed_events_announce.delay()

    assert result.successful() and result.result == 1
    flag = EmploymentFlag.objects.get(worker=worker)
    assert (flag.kind, flag.since, flag.feed_run_id) == (FlagKind.ABSENT, DAY, run.pk)
    assert not FeedEvent.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.feed_events_announce.delay().result == 0
    assert EmploymentFlag.objects.count() == 1


def test_leftovers_are_looked_for_every_ten_minutes():
    (entry,) = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "musaned.registry.tasks.feed_events_announce"
    ]
    assert entry["schedule"] == dt.timedelta(minutes=10)
    assert entry["task"] in celery_app.tasks and tasks.feed_events_announce.name == entry["task"]


def test_events_an_announcer_holds_are_left_to_it_until_its_claim_runs_out(monkeypatch, announced):
    stopped_after_commit(gateway=nation(feed_size=60))
    left = waiting()
    assert len(left) > 3
    killed = []

    def killer(sender, **kwargs):
        if not killed:
            killed.append(kwargs["passport_number"])
            raise SystemExit  # the process is killed while announcing its first event

    SIGNALS[left[0].status].connect(killer)
    try:
        with pytest.raises(SystemExit):
            feed_events_announce()
    finally:
        SIGNALS[left[0].status].disconnect(killer)

    assert killed == [left[0].passport_number]
    assert waiting() == left  # claimed, not sent: nothing deleted
    announced.clear()

    assert feed_events_announce() == 0  # another announcer, while the claim holds
    assert tasks.feed_events_announce.delay().result == 0
    assert announced == [] and waiting() == left

    shift_clock(monkeypatch, hours=1)  # the stopped announcer's claim has run out

    assert tasks.feed_events_announce.delay().result == len(left)
    assert announced == left  # the event it was sending goes out again: at least once
    assert not FeedEvent.objects.exists()


def test_a_claim_still_valid_keeps_its_events_from_other_announcers(announced):
    stopped_after_commit(gateway=nation(feed_size=60))
    left = waiting()
    held = list(FeedEvent.objects.order_by("pk").values_list("pk", flat=True)[:3])
    FeedEvent.objects.filter(pk__in=held).update(claimed_until=timezone.now() + dt.timedelta(minutes=1))

    assert feed_events_announce() == len(left) - 3

    assert announced == left[3:]
    assert list(FeedEvent.objects.values_list("pk", flat=True)) == held

    FeedEvent.objects.filter(pk__in=held).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert feed_events_announce() == 3
    assert announced == left[3:] + left[:3]
    assert not FeedEvent.objects.exists()


def test_an_announcer_sends_at_most_its_limit_and_only_the_run_asked_for(announced):
    first = stopped_after_commit(gateway=nation(feed_size=60))
    first_left = waiting()
    second = FeedRun.objects.create(run_date=NEXT_DAY)
    FeedEvent.objects.create(run=second, passport_number="P0000001", status="exited", status_date=NEXT_DAY)

    assert feed_events_announce(run_id=first.pk, limit=5) == 5
    assert feed_events_announce(run_id=first.pk) == len(first_left) - 5

    assert announced == first_left
    assert set(FeedEvent.objects.values_list("run_id", flat=True)) == {second.pk}


@pytest.fixture
def breaking():
    """A receiver, connected before the others, that fails on every event of one status."""
    failures = []

    def receiver(sender, **kwargs):
        failures.append(kwargs["passport_number"])
        raise RuntimeError("the receiver broke")

    SIGNALS["arrived"].connect(receiver)
    yield failures
    SIGNALS["arrived"].disconnect(receiver)


def test_a_failing_receiver_stops_neither_the_others_nor_the_removal_of_its_event(
    breaking, announced, ingest, caplog
):
    with caplog.at_level(logging.ERROR, logger="musaned.registry.services"):
        run = ingest(DAY, batch_size=200)

    assert breaking  # it was called, and failed, for each worker reported arrived
    assert len(breaking) == sum(event.status == "arrived" for event in announced)
    assert len(announced) == run.events
    assert not FeedEvent.objects.exists()
    errors = [record for record in caplog.records if record.name == "musaned.registry.services"]
    assert len(errors) == len(breaking)
    assert all(record.exc_info and "the receiver broke" in str(record.exc_info[1]) for record in errors)


def test_waiting_events_are_listed_read_only_for_administrators(django_assert_max_num_queries):
    admin_client = signed_in(
        with_totp(User.objects.create_superuser(email="admin@example.sa", password="Strong-pass-2026!"))
    )
    stopped_after_commit(gateway=nation(feed_size=60))
    event = FeedEvent.objects.order_by("pk").first()
    url = reverse("admin:registry_feedevent_changelist")

    with django_assert_max_num_queries(16):
        page = admin_client.get(url)

    assert page.status_code == 200 and event.passport_number in page.content.decode()
    assert admin_client.get(reverse("admin:registry_feedevent_add")).status_code == 403
    assert admin_client.post(reverse("admin:registry_feedevent_delete", args=[event.pk])).status_code == 403
    assert FeedEvent.objects.filter(pk=event.pk).exists()

    for outsider in (
        UserFactory(roles=[Role.HOUSEHOLD]),
        office_staff(OfficeFactory()),
        with_totp(UserFactory(roles=[Role.COMPLAINTS])),
        with_totp(UserFactory(roles=[Role.SUPERVISORS])),
    ):
        answer = signed_in(outsider).get(url)
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("admin:login"))


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (bash .ci/run)")
@pytest.mark.django_db(transaction=True)
def test_two_announcers_at_once_send_each_event_once(monkeypatch, announced):
    monkeypatch.setattr(services, "ANNOUNCE_CHUNK", 7)  # many small claims, taken in turn by both
    run = FeedRun.objects.create(run_date=DAY)
    FeedEvent.objects.bulk_create(
        FeedEvent(run=run, passport_number=f"P{number:07d}", status="arrived", status_date=DAY)
        for number in range(200)
    )
    sent, errors = at_once(feed_events_announce, feed_events_announce)

    assert errors == []
    assert sum(sent) == 200
    passports = [event.passport_number for event in announced]
    assert len(passports) == len(set(passports)) == 200
    assert not FeedEvent.objects.exists()
