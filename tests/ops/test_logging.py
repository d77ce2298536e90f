"""The correlation id: from the web request, through the tasks it enqueues, to every log line."""

import json
import logging

import pytest
from kombu import Connection

from musaned.celery import app as celery_app
from musaned.ops.logs import TASK_HEADER, JsonFormatter, RequestIdFilter, request_id_bound
from musaned.ops.models import Probe
from musaned.ops.tasks import probe

pytestmark = pytest.mark.django_db

PAGE = "/logged/"


@pytest.fixture
def logs(caplog):
    """Captured records, stamped by the filter the console handler uses."""
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    return caplog


def lines_from(logs, logger):
    return [record for record in logs.records if record.name == logger]


@pytest.mark.urls("tests.ops.urls_logging")
# A real commit: the task is enqueued while the request is served. serialized_rollback: the seeded
# reference data comes back after the test empties the tables.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_request_id_from_the_proxy_is_on_the_page_and_task_log_lines(client, logs):
    response = client.get(PAGE, headers={"X-Request-ID": "edge-4f1c2a"})

    assert response["X-Request-ID"] == "edge-4f1c2a"
    assert Probe.objects.get(token="from-the-page").completed_at is not None
    page_lines = lines_from(logs, "tests.ops.page")
    task_lines = lines_from(logs, "musaned.ops.tasks") + lines_from(logs, "celery.app.trace")
    assert page_lines and len(task_lines) >= 2
    assert {record.request_id for record in page_lines + task_lines} == {"edge-4f1c2a"}


@pytest.mark.urls("tests.ops.urls_logging")
@pytest.mark.parametrize("incoming", [None, "", "two words", "x" * 65, "line\nbreak", "<script>"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(client, logs, incoming):
    headers = {} if incoming is None else {"X-Request-ID": incoming}

    response = client.get(PAGE, headers=headers)

    request_id = response["X-Request-ID"]
    assert request_id != incoming and len(request_id) == 32
    assert [record.request_id for record in lines_from(logs, "tests.ops.page")] == [request_id]
    assert client.get(PAGE)["X-Request-ID"] != request_id  # one per request


def test_a_task_message_leaves_with_the_id_and_the_worker_logs_under_it(logs, settings):
    memory = Connection("memory://")
    celery_app.conf.task_always_eager = False
    try:
        with request_id_bound("web-77aa"):
            probe.apply_async(kwargs={"token": "carried"}, connection=memory)
    finally:
        celery_app.conf.task_always_eager = True
    message = memory.SimpleQueue("celery").get(timeout=1)
    assert message.headers[TASK_HEADER] == "web-77aa"
    message.ack()

    # the worker side: the task runs under the id its message brought, not whatever was current
    with request_id_bound("unrelated"):
        probe.apply(kwargs={"token": "carried"}, headers={TASK_HEADER: message.headers[TASK_HEADER]})

    assert {record.request_id for record in lines_from(logs, "musaned.ops.tasks")} == {"web-77aa"}
    assert Probe.objects.get(token="carried").completed_at is not None


def test_a_task_without_an_id_logs_under_its_own_task_id(logs):
    result = probe.apply()
    assert {record.request_id for record in lines_from(logs, "musaned.ops.tasks")} == {result.id}


def test_json_lines_carry_the_request_id_and_the_error():
    formatter, stamp = JsonFormatter(), RequestIdFilter()
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "musaned.x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info()
        )
    with request_id_bound("abc-123"):
        stamp.filter(record)

    entry = json.loads(formatter.format(record))

    assert entry["request_id"] == "abc-123"
    assert (entry["level"], entry["logger"], entry["message"]) == ("ERROR", "musaned.x", "failed here")
    assert "ValueError: boom" in entry["exception"]
    assert entry["time"].endswith("+00:00")
