"""The production path: a separate Celery worker process, the real broker and the real database.

Runs where CELERY_BROKER_URL names a network broker (Redis or RabbitMQ) and the database is one that
several processes can share (PostgreSQL), as in `.ci/run`; the embedded demo path is covered by the
rest of the suite.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from households.models import Household, IdentityStatus
from households.tasks import confirm_identity
from musaned.celery import app as celery_app
from tests.factories import HouseholdFactory

ROOT = Path(__file__).resolve().parent.parent
NETWORK_BROKER = settings.CELERY_BROKER_URL.split(":", 1)[0] in {"redis", "amqp", "pyamqp", "rediss"}

pytestmark = pytest.mark.skipif(
    not NETWORK_BROKER or connection.vendor != "postgresql",
    reason="needs a network broker and PostgreSQL (bash .ci/run)",
)


def _database_url() -> str:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker_process():
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_TASK_ALWAYS_EAGER": "false"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "musaned",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.django_db(transaction=True)
def test_identity_is_confirmed_by_a_worker_process_through_the_broker(worker_process):
    household = HouseholdFactory(identity_status=IdentityStatus.PENDING)
    celery_app.conf.task_always_eager = False
    confirm_identity.delay(household.pk)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = Household.objects.values_list("identity_status", flat=True).get(pk=household.pk)
        if status != IdentityStatus.PENDING:
            break
        assert worker_process.poll() is None, worker_process.stderr.read().decode()[-2000:]
        time.sleep(0.5)
    assert status == IdentityStatus.CONFIRMED
