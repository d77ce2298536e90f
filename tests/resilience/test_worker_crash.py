"""A worker dies in the middle of a task: the message comes back and the work is done exactly once.

Runs with the production path only, a Redis broker and PostgreSQL shared by separate worker processes
(bash .ci/run). Tasks are acknowledged late and given back when their worker is lost (settings:
CELERY_TASK_ACKS_LATE, CELERY_TASK_REJECT_ON_WORKER_LOST); the task used, ops.probe, notes each start
and completes its effect once, keyed by its token.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from musaned.celery import app as celery_app
from musaned.ops.logs import request_id_bound
from musaned.ops.models import Probe
from musaned.ops.tasks import probe

ROOT = Path(__file__).resolve().parents[2]
REDIS = settings.CELERY_BROKER_URL.split(":", 1)[0] in {"redis", "rediss"}
# The task sleeps this long after starting: time enough to kill its worker in the middle of it.
TASK_SECONDS = 4
# A message taken by a worker that vanished goes to another after this long (the default is an hour).
VISIBILITY_TIMEOUT = 8

pytestmark = [
    pytest.mark.skipif(
        not REDIS or connection.vendor != "postgresql",
        reason="needs a Redis broker and PostgreSQL (bash .ci/run)",
    ),
    # serialized_rollback: the seeded reference data comes back after the test empties the tables
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _database_url() -> str:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"


class Workers:
    """Starts worker processes (prefork pool of one, as in production but small) and stops them."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(
                {
                    "visibility_timeout": VISIBILITY_TIMEOUT,
                    "unacked_restore_interval": 1,
                    "unacked_restore_throttle": 1,
                }
            ),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
        }

    def start(self) -> subprocess.Popen:
        log = (self.log_dir / f"worker-{len(self.processes)}.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "musaned",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                f"--hostname=crash-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the worker and its pool can be killed together
        )
        self.processes.append(process)
        return process

    def log_lines(self) -> list[dict]:
        lines = []
        for path in sorted(self.log_dir.glob("worker-*.log")):
            for line in path.read_text().splitlines():
                if line.startswith("{"):
                    lines.append(json.loads(line))
        return lines

    def tail(self) -> str:
        return "\n".join(path.read_text()[-3000:] for path in sorted(self.log_dir.glob("worker-*.log")))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGQUIT)  # cold shutdown: the work is checked already
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def workers(tmp_path):
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()  # only this test's messages in the queue
    workers = Workers(tmp_path)
    yield workers
    workers.stop()


def wait_for(condition, workers: Workers, *, seconds: float = 40):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"gave up waiting; worker output:\n{workers.tail()}")


def enqueue_probe(token: str) -> str:
    request_id = f"crash-test-{token[-8:]}"
    with request_id_bound(request_id):
        probe.apply_async(kwargs={"token": token, "sleep_seconds": TASK_SECONDS})
    return request_id


def started(token: str):
    return lambda: Probe.objects.filter(token=token, attempts__gte=1).first()


def completed(token: str):
    return lambda: Probe.objects.filter(token=token, completed_at__isnull=False).first()


def assert_done_exactly_once(token: str, request_id: str, workers: Workers) -> Probe:
    time.sleep(2)  # time for a wrongful third delivery to show
    done = Probe.objects.get(token=token)
    assert done.attempts == 2  # the first run was lost; the message came back once
    lines = [line for line in workers.log_lines() if line["logger"] == "musaned.ops.tasks"]
    assert [line["message"] for line in lines] == [f"probe {token} completed"]
    # the worker logged under the id the message was sent with
    assert lines[0]["request_id"] == request_id
    return done


def test_a_task_whose_pool_process_is_killed_is_given_back_and_done_once(workers):
    worker = workers.start()
    token = f"child-{uuid.uuid4().hex}"
    request_id = enqueue_probe(token)

    first = wait_for(started(token), workers)
    assert first.completed_at is None
    os.kill(first.worker_pid, signal.SIGKILL)  # the pool process dies in the middle of the task

    done = wait_for(completed(token), workers)
    assert worker.poll() is None  # the worker itself lived on and ran the task again in a new process
    assert done.worker_pid != first.worker_pid
    assert_done_exactly_once(token, request_id, workers)


def test_a_task_whose_whole_worker_is_killed_is_done_once_by_the_next_worker(workers):
    lost = workers.start()
    token = f"worker-{uuid.uuid4().hex}"
    request_id = enqueue_probe(token)

    first = wait_for(started(token), workers)
    os.killpg(lost.pid, signal.SIGKILL)  # the machine is lost: main process and pool at once
    lost.wait(timeout=10)
    assert Probe.objects.get(token=token).completed_at is None

    workers.start()  # a new worker takes the message over once its visibility timeout has passed
    done = wait_for(completed(token), workers)
    assert done.worker_pid != first.worker_pid
    assert_done_exactly_once(token, request_id, workers)
