import datetime as dt

import pytest
from django.utils import timezone

from musaned.accounts.models import User
from tests.factories import with_second_factor

FAILURES_TO_OPEN = 3
COOL_DOWN = dt.timedelta(seconds=60)


class Clock:
    """The platform's idea of now, moved by the test."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture(autouse=True)
def _small_circuit(settings):
    settings.INTEGRATIONS_CIRCUIT_FAILURES = FAILURES_TO_OPEN
    settings.INTEGRATIONS_CIRCUIT_COOLDOWN_SECONDS = COOL_DOWN.total_seconds()


@pytest.fixture
def operator(db):
    """A superuser with the second factor the platform demands of staff."""
    user = User.objects.create_superuser(email="operator@example.sa", password="Strong-pass-2026!")
    with_second_factor(user)
    return user


@pytest.fixture
def back_office(client, operator):
    client.force_login(operator)
    client.cookies["django_language"] = "en"
    return client
