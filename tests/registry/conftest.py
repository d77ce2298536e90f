"""A small made-up nation of workers, the feed's signals caught as they are sent, and reading helpers."""

import datetime as dt
from dataclasses import dataclass

import pytest

from musaned.integrations.base import RecordingGateway
from musaned.integrations.fakes import FakePassportsGateway
from musaned.registry import signals
from musaned.registry.models import WorkerRecord
from musaned.registry.services import feed_ingest

DAY = dt.date(2026, 5, 1)
NEXT_DAY = DAY + dt.timedelta(days=1)
SIGNALS = {
    "arrived": signals.worker_arrived,
    "exited": signals.worker_exited,
    "absent": signals.worker_absent,
    "imprisoned": signals.worker_imprisoned,
    "deceased": signals.worker_deceased,
}


@dataclass(frozen=True)
class Announced:
    status: str
    passport_number: str
    iqama_number: str
    status_date: dt.date | None
    previous_status: str | None


@pytest.fixture
def announced():
    """Every event the registry sends, in order."""
    caught: list[Announced] = []
    receivers = {}
    for status, signal in SIGNALS.items():

        def receiver(sender, status=status, **kwargs):
            assert sender is WorkerRecord
            caught.append(
                Announced(
                    status,
                    kwargs["passport_number"],
                    kwargs["iqama_number"],
                    kwargs["status_date"],
                    kwargs["previous_status"],
                )
            )

        receivers[status] = receiver
        signal.connect(receiver)
    yield caught
    for status, signal in SIGNALS.items():
        signal.disconnect(receivers[status])


def nation(**options) -> FakePassportsGateway:
    """The fake passports service with a small feed; each option overrides the default."""
    return FakePassportsGateway(**({"feed_size": 600, "seed": 11, "changed_fraction": 0.05} | options))


def logged(fake: FakePassportsGateway) -> RecordingGateway:
    """The fake as the platform reaches it: with every call written to the call log."""
    return RecordingGateway(fake)


@pytest.fixture
def ingest(django_capture_on_commit_callbacks):
    """feed_ingest with its on-commit announcements run, as after a real commit."""

    def run(run_date=DAY, gateway=None, **options):
        with django_capture_on_commit_callbacks(execute=True):
            return feed_ingest(run_date=run_date, gateway=logged(gateway or nation()), **options)

    return run


def feed_rows(gateway: FakePassportsGateway, run_date: dt.date) -> dict[str, tuple]:
    """The fake's feed of a day read plainly: passport number -> (iqama, status, date)."""
    rows = {}
    for line in gateway.bulk_feed(run_date=run_date):
        passport, iqama, status, date = line.split(",")
        rows[passport] = (iqama, status, dt.date.fromisoformat(date))
    return rows


def stored() -> dict[str, tuple]:
    return {
        passport: (iqama, status, date)
        for passport, iqama, status, date in WorkerRecord.objects.values_list(
            "passport_number", "iqama_number", "status", "status_date"
        )
    }
