"""The real passports client against a feed served over HTTP on this machine: streamed line by line,
and each way the transfer can fail."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from musaned.integrations.base import GatewayError, GatewayTimeout, MalformedReply, gateway
from musaned.integrations.models import GatewayCall
from musaned.registry.models import FeedRejectedRow, FeedRun, WorkerRecord
from musaned.registry.services import feed_ingest

from .conftest import DAY, nation

pytestmark = pytest.mark.django_db

HEADER = b"passport_number,iqama_number,status,status_date\r\n"


@dataclass
class Feed:
    """What the service answers for the next requests."""

    status: int = 200
    body: bytes = b""
    claimed_length: int | None = None  # a Content-Length larger than the body: the transfer is cut off
    stall_after: int | None = None  # bytes sent before the service stops sending, connection open
    requests: list = field(default_factory=list)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that gave up on a stalled transfer is expected."""


@pytest.fixture
def feed_service(settings):
    feed = Feed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            feed.requests.append((self.path, dict(self.headers)))
            self.send_response(feed.status)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(feed.claimed_length or len(feed.body)))
            self.end_headers()
            if feed.stall_after is None:
                self.wfile.write(feed.body)
                return
            self.wfile.write(feed.body[: feed.stall_after])
            self.wfile.flush()
            time.sleep(1.5)

        def log_message(self, *args):
            pass

    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.INTEGRATIONS_MODE = "http"
    settings.INTEGRATIONS_TIMEOUT_SECONDS = 0.5
    settings.INTEGRATIONS_CIRCUIT_FAILURES = 100
    settings.INTEGRATIONS_HTTP = {
        "passports": {"url": f"http://127.0.0.1:{server.server_port}/passports", "token": "token-passports"}
    }
    yield feed
    server.shutdown()
    server.server_close()


def csv_of(lines) -> bytes:
    return HEADER + b"".join(line.encode() + b"\r\n" for line in lines)


def fake_lines(size=300):
    return list(nation(feed_size=size).bulk_feed(run_date=DAY))


def test_the_feed_is_read_as_it_arrives_and_odd_lines_are_handled(
    feed_service, django_capture_on_commit_callbacks
):
    lines = fake_lines()
    first_passport = lines[0].split(",")[0]
    loose = lines[5].split(",")
    lines[5] = f" {loose[0].lower()} , {loose[1]} , {loose[2].upper()} , {loose[3]} "  # spaces and case
    lines.insert(9, lines[8])  # the same worker twice
    lines.insert(20, "")  # an empty line
    feed_service.body = csv_of(lines)

    with django_capture_on_commit_callbacks(execute=True):
        run = feed_ingest(run_date=DAY)

    path, headers = feed_service.requests[0]
    assert path == "/passports/feeds/2026-05-01"
    assert headers["Authorization"] == "Bearer token-passports" and headers["Accept"] == "text/csv"
    assert (run.state, run.read, run.added, run.malformed) == ("completed", 302, 300, 2)
    assert WorkerRecord.objects.count() == 300
    assert WorkerRecord.objects.filter(passport_number=first_passport).exists()
    assert WorkerRecord.objects.filter(passport_number=loose[0]).get().status == loose[2]
    assert list(FeedRejectedRow.objects.values_list("line_number", "reason")) == [
        (11, "repeated"),
        (22, "field_count"),
    ]
    assert GatewayCall.objects.get().outcome == "ok"


@pytest.mark.parametrize(
    ("answer", "exception", "retryable", "outcome"),
    [
        ({"body": b"passport,status\r\nP1,arrived\r\n"}, MalformedReply, True, "malformed"),
        ({"body": b""}, MalformedReply, True, "malformed"),
        ({"status": 503}, GatewayError, True, "error"),
        ({"status": 404}, GatewayError, False, "error"),
        ({"body": HEADER, "stall_after": 0}, GatewayTimeout, True, "timeout"),
    ],
    ids=["wrong header", "empty answer", "outage", "no feed for that day", "no answer in time"],
)
def test_a_feed_that_cannot_be_opened_fails_the_run_with_nothing_written(
    feed_service, answer, exception, retryable, outcome
):
    for key, value in answer.items():
        setattr(feed_service, key, value)

    with pytest.raises(exception) as failure:
        feed_ingest(run_date=DAY)

    assert type(failure.value) is exception and failure.value.retryable is retryable
    assert FeedRun.objects.get().state == "failed"
    assert not WorkerRecord.objects.exists()
    assert GatewayCall.objects.get().outcome == outcome


@pytest.mark.parametrize(
    ("cut", "exception"),
    [({"stall_after": "half"}, GatewayTimeout), ({"claimed_length": "more"}, GatewayError)],
    ids=["stalls", "connection lost"],
)
def test_a_transfer_that_breaks_off_keeps_the_committed_batches_and_resumes(feed_service, cut, exception):
    lines = fake_lines()
    feed_service.body = csv_of(lines)
    if "stall_after" in cut:
        feed_service.stall_after = len(csv_of(lines[:150]))
    else:
        feed_service.body = csv_of(lines[:150])
        feed_service.claimed_length = len(csv_of(lines))

    with pytest.raises(exception):
        feed_ingest(run_date=DAY, batch_size=100)

    run = FeedRun.objects.get()
    assert (run.state, run.lines_done) == ("failed", 100)
    assert WorkerRecord.objects.count() == 100

    feed_service.body, feed_service.stall_after, feed_service.claimed_length = csv_of(lines), None, None
    resumed = feed_ingest(run_date=DAY, batch_size=100)

    assert (resumed.state, resumed.read, resumed.added, resumed.attempts) == ("completed", 300, 300, 2)
    assert WorkerRecord.objects.count() == 300


def test_the_client_skips_what_a_resumed_run_already_read(feed_service):
    lines = fake_lines(20)
    feed_service.body = csv_of(lines)
    assert list(gateway("passports").bulk_feed(run_date=DAY, skip=15)) == lines[15:]
    assert list(gateway("passports").bulk_feed(run_date=DAY, skip=25)) == []
