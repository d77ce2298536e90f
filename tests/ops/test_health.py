"""GET /health/: what monitoring and load balancers read."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from kombu import Connection

from musaned.integrations.base import GATEWAYS, GatewayError, gateway
from musaned.integrations.models import CircuitState, DeadLetter, GatewayCircuit
from musaned.integrations.resilience import dead_letter_record
from musaned.ops.models import Probe
from musaned.ops.tasks import probe

pytestmark = pytest.mark.django_db

HEALTH = reverse("ops:health")
REDIS = django_settings.CELERY_BROKER_URL.startswith("redis://")


def health(client):
    response = client.get(HEALTH)
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


@pytest.fixture
def file_broker(settings, tmp_path):
    """A file-system broker in a folder of the test's own, as the demo runs."""
    folder = tmp_path / "queue"
    folder.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),
    }
    return settings


def enqueue(count):
    """Leave `count` messages in the default queue of the configured broker, as a busy platform does."""
    with Connection(
        django_settings.CELERY_BROKER_URL, transport_options=django_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    ) as broker:
        queue = broker.SimpleQueue("celery")
        for number in range(count):
            queue.put({"number": number})
        queue.close()


def test_a_healthy_platform_answers_200_to_anyone_with_each_check(client, file_broker):
    status, report = health(client)

    assert status == 200
    assert report["status"] == "ok"
    checks = report["checks"]
    assert set(checks) == {"database", "broker", "gateways", "passports_feed", "workers", "dead_letters"}
    assert checks["database"]["status"] == "ok"
    assert checks["broker"] | {"ms": 0} == {
        "status": "ok",
        "transport": "filesystem",
        "ms": 0,
        "queues": {"celery": 0},
    }
    assert set(checks["gateways"]["gateways"]) == set(GATEWAYS)
    assert checks["passports_feed"]["status"] == "unknown"  # no feed read yet
    assert checks["workers"]["status"] == "unknown"
    assert checks["dead_letters"] == {"status": "ok", "open": 0}


def test_queue_depth_counts_the_waiting_messages_of_the_file_system_broker(client, file_broker):
    enqueue(3)
    assert health(client)[1]["checks"]["broker"]["queues"] == {"celery": 3}


@pytest.mark.skipif(not REDIS, reason="needs the Redis broker (bash .ci/run)")
def test_queue_depth_is_the_length_of_the_redis_queue(client, settings):
    settings.CELERY_BROKER_URL = django_settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/15"
    keys = ["celery", "_kombu.binding.celery", "_kombu.binding_permanent.celery"]
    with Connection(settings.CELERY_BROKER_URL) as broker:
        redis = broker.default_channel.client
        redis.delete(*keys)
        enqueue(2)
        try:
            assert health(client)[1]["checks"]["broker"]["queues"] == {"celery": 2}
        finally:
            redis.delete(*keys)


def test_a_broker_that_cannot_be_reached_answers_503_without_giving_its_address(client, settings):
    settings.CELERY_BROKER_URL = "redis://:broker-password@127.0.0.1:1/0"

    status, report = health(client)

    assert status == 503
    assert report["status"] == "fail"
    assert report["checks"]["broker"]["status"] == "fail"
    assert report["checks"]["database"]["status"] == "ok"
    body = str(report)
    assert "broker-password" not in body and "127.0.0.1" not in body


def test_each_gateway_shows_its_circuit_and_last_call_without_calling_it(client, file_broker, settings):
    gateway("sms").send(to="+966551234567", text="hello")
    settings.INTEGRATIONS_CIRCUIT_FAILURES = 2
    settings.INTEGRATIONS_FAKE_FAILURES = {"identity": "timeout"}
    for _ in range(2):
        with pytest.raises(GatewayError):
            gateway("identity").verify(national_id="1234512345", date_of_birth=dt.date(1990, 1, 1))
    settings.INTEGRATIONS_FAKE_FAILURES = {}

    status, report = health(client)

    assert status == 200  # an outside system being down does not take the platform out of service
    gateways = report["checks"]["gateways"]
    assert gateways["status"] == "fail"
    identity = gateways["gateways"]["identity"]
    assert (identity["status"], identity["circuit"], identity["failures_in_a_row"]) == ("fail", "open", 2)
    assert identity["retry_at"] == GatewayCircuit.objects.get().retry_at.isoformat()
    assert identity["last_call"]["outcome"] == "timeout"
    sms = gateways["gateways"]["sms"]
    assert (sms["status"], sms["circuit"], sms["last_call"]["outcome"]) == ("ok", CircuitState.CLOSED, "ok")
    assert gateways["gateways"]["mofa"]["last_call"] is None
    assert GatewayCircuit.objects.get().state == CircuitState.OPEN  # asking did not try the service


def test_workers_dead_letters_and_the_passports_feed_are_reported(client, file_broker):
    probe.delay()
    dead_letter_record(task_name="x.y", task_id="1", args=[], kwargs={}, exception=ValueError("no"))

    checks = health(client)[1]["checks"]

    assert checks["workers"]["status"] == "ok"
    assert checks["workers"]["at"] == Probe.objects.get().completed_at.isoformat()
    assert checks["dead_letters"] == {"status": "warn", "open": DeadLetter.objects.count()}


@pytest.mark.parametrize(("hours_ago", "status"), [(3, "ok"), (30, "warn")])
def test_the_age_of_the_last_passports_feed_is_reported(client, file_broker, hours_ago, status):
    registry = pytest.importorskip("musaned.registry.models")
    finished = timezone.now() - dt.timedelta(hours=hours_ago)
    registry.FeedRun.objects.create(
        run_date=timezone.localdate(finished), state="completed", started_at=finished, finished_at=finished
    )

    feed = health(client)[1]["checks"]["passports_feed"]

    assert (feed["status"], feed["at"]) == (status, finished.isoformat())
    assert hours_ago * 3600 <= feed["age_seconds"] < hours_ago * 3600 + 60
