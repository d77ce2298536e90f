"""The HTTP clients against a real HTTP server on this machine: what they send, and how they read answers."""

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from musaned.integrations.base import GATEWAYS, GatewayError, GatewayTimeout, MalformedReply, gateway
from musaned.integrations.interfaces import (
    BillRef,
    BillStatus,
    CrStatus,
    IdentityRecord,
    PassportStatus,
    RefundRef,
)
from musaned.integrations.models import GatewayCall

pytestmark = pytest.mark.django_db


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class LocalService:
    """Answers each (method, path) as told; anything else gets a 404."""

    base_url: str = ""
    answers: dict = field(default_factory=dict)
    received: list = field(default_factory=list)

    def answer(self, method, path, *, status=200, json_body=None, raw=None, delay=0.0):
        body = raw if raw is not None else json.dumps(json_body).encode()
        self.answers[(method, path)] = (status, body, delay)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that gave up (the timeout test) is expected; no traceback."""


@pytest.fixture
def service(settings):
    service = LocalService()

    class Handler(BaseHTTPRequestHandler):
        def handle_one(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            service.received.append(Received(self.command, self.path, dict(self.headers), body))
            status, answer, delay = service.answers.get((self.command, self.path), (404, b"{}", 0))
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = handle_one

        def log_message(self, *args):
            pass

    server = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    service.base_url = f"http://127.0.0.1:{server.server_port}"
    settings.INTEGRATIONS_MODE = "http"
    settings.INTEGRATIONS_TIMEOUT_SECONDS = 0.3
    settings.INTEGRATIONS_HTTP = {
        name: {"url": f"{service.base_url}/{name}", "token": f"token-{name}"} for name in GATEWAYS
    }
    yield service
    server.shutdown()
    server.server_close()


PAID_AT = "2026-11-02T09:30:00+03:00"

# name, operation, arguments, method, path, expected request body, answer, expected result
CASES = [
    (
        "identity",
        "verify",
        {"national_id": "1234512345", "date_of_birth": dt.date(1990, 1, 2)},
        "POST",
        "/identity/verify",
        {"national_id": "1234512345", "date_of_birth": "1990-01-02"},
        {"found": True, "date_of_birth_matches": True, "has_registered_disability": False},
        IdentityRecord(found=True, date_of_birth_matches=True),
    ),
    (
        "sms",
        "send",
        {"to": "+966551234567", "text": "مرحبا"},
        "POST",
        "/sms/messages",
        {"to": "+966551234567", "text": "مرحبا"},
        {"message_id": "m-1"},
        "m-1",
    ),
    (
        "email",
        "send",
        {"to": "a@example.sa", "subject": "S", "body": "B"},
        "POST",
        "/email/messages",
        {"to": "a@example.sa", "subject": "S", "body": "B"},
        {"message_id": "e-1"},
        "e-1",
    ),
    (
        "payment",
        "create_bill",
        {"bill_number": "V-1", "amount": Decimal("2000"), "currency": "SAR", "due": dt.date(2026, 12, 31)},
        "POST",
        "/payment/bills",
        {"bill_number": "V-1", "amount": "2000.00", "currency": "SAR", "due_date": "2026-12-31"},
        {
            "bill_number": "V-1",
            "reference": "SADAD1",
            "amount": 2000.00,
            "currency": "SAR",
            "due_date": "2026-12-31",
        },
        BillRef("V-1", "SADAD1", Decimal("2000.00"), "SAR", dt.date(2026, 12, 31)),
    ),
    (
        "payment",
        "bill_status",
        {"bill_number": "V/1"},
        "GET",
        "/payment/bills/V%2F1",
        None,
        {
            "bill_number": "V/1",
            "status": "paid",
            "paid_amount": "172.50",
            "paid_at": PAID_AT,
            "payment_ref": "P1",
        },
        BillStatus("V/1", True, Decimal("172.50"), dt.datetime.fromisoformat(PAID_AT), "P1"),
    ),
    (
        "payment",
        "refund",
        {"payment_ref": "P1", "amount": Decimal("100.5"), "key": "refund-7"},
        "POST",
        "/payment/refunds",
        {"payment_ref": "P1", "amount": "100.50", "idempotency_key": "refund-7"},
        {"refund_ref": "R1", "payment_ref": "P1", "amount": "100.50"},
        RefundRef("R1", "P1", Decimal("100.50")),
    ),
    (
        "passports",
        "worker_status",
        {"passport_number": "P123"},
        "GET",
        "/passports/workers/P123/status",
        None,
        {"passport_number": "P123", "status": "arrived", "status_date": "2026-11-01"},
        PassportStatus("P123", "arrived", dt.date(2026, 11, 1)),
    ),
    (
        "commerce",
        "cr_status",
        {"cr_number": "1010123450"},
        "GET",
        "/commerce/registrations/1010123450",
        None,
        {"cr_number": "1010123450", "found": False},
        CrStatus("1010123450", found=False),
    ),
    (
        "mofa",
        "activate_visa",
        {"visa_number": "4000000001"},
        "POST",
        "/mofa/visas/4000000001/activation",
        {},
        {"activation_ref": "A-1"},
        "A-1",
    ),
    (
        "insurer",
        "issue_policy",
        {"reference": "C-1", "amount": Decimal("350")},
        "POST",
        "/insurer/policies",
        {"reference": "C-1", "amount": "350.00"},
        {"policy_number": "POL-1"},
        "POL-1",
    ),
]


@pytest.mark.parametrize(
    ("name", "operation", "kwargs", "method", "path", "sent", "answer", "expected"),
    CASES,
    ids=[f"{case[0]}.{case[1]}" for case in CASES],
)
def test_each_client_sends_json_with_its_token_and_reads_the_answer(
    service, name, operation, kwargs, method, path, sent, answer, expected
):
    service.answer(method, path, json_body=answer)

    assert getattr(gateway(name), operation)(**kwargs) == expected

    request = service.received[-1]
    assert (request.method, request.path) == (method, path)
    assert request.headers["Authorization"] == f"Bearer token-{name}"
    assert (request.json() if request.body else None) == sent
    assert GatewayCall.objects.get().outcome == "ok"


def _sms():
    return gateway("sms").send(to="+966551234567", text="hi")


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_outages_are_retryable_errors(service, status):
    service.answer("POST", "/sms/messages", status=status, json_body={"error": "down"})
    with pytest.raises(GatewayError) as excinfo:
        _sms()
    assert type(excinfo.value) is GatewayError and excinfo.value.retryable is True
    assert str(status) in str(excinfo.value)
    assert GatewayCall.objects.get().outcome == "error"


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_refusals_are_errors_not_worth_retrying(service, status):
    service.answer("POST", "/sms/messages", status=status, json_body={"error": "no"})
    with pytest.raises(GatewayError) as excinfo:
        _sms()
    assert excinfo.value.retryable is False


def test_no_answer_in_time_is_a_timeout(service):
    service.answer("POST", "/sms/messages", json_body={"message_id": "late"}, delay=1.0)
    started = time.monotonic()
    with pytest.raises(GatewayTimeout):
        _sms()
    assert time.monotonic() - started < 0.9
    assert GatewayCall.objects.get().outcome == "timeout"


@pytest.mark.parametrize(
    "raw",
    [
        b"<html>Bad gateway</html>",
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"message_id": 42}',
        b'{"id": "m-1"}',
    ],
    ids=["html", "empty", "not utf-8", "array", "wrong type", "missing field"],
)
def test_unreadable_answers_are_malformed(service, raw):
    service.answer("POST", "/sms/messages", raw=raw)
    with pytest.raises(MalformedReply):
        _sms()
    assert GatewayCall.objects.get().outcome == "malformed"


@pytest.mark.parametrize(
    "answer",
    [
        {"bill_number": "V-1", "status": "maybe"},
        {"bill_number": "V-1", "status": "paid", "paid_amount": "-1", "paid_at": PAID_AT, "payment_ref": "P"},
        {
            "bill_number": "V-1",
            "status": "paid",
            "paid_amount": "1",
            "paid_at": "2026-11-02T09:30",
            "payment_ref": "P",
        },
        {"bill_number": "V-1", "status": "paid", "paid_amount": True, "paid_at": PAID_AT, "payment_ref": "P"},
    ],
    ids=["unknown status", "negative amount", "moment without offset", "amount is a flag"],
)
def test_answers_of_the_wrong_shape_are_malformed(service, answer):
    service.answer("GET", "/payment/bills/V-1", json_body=answer)
    with pytest.raises(MalformedReply):
        gateway("payment").bill_status(bill_number="V-1")


def test_a_service_that_is_not_listening_is_a_retryable_error(service, settings):
    settings.INTEGRATIONS_HTTP = {
        **settings.INTEGRATIONS_HTTP,
        "sms": {"url": "http://127.0.0.1:9", "token": ""},
    }
    with pytest.raises(GatewayError) as excinfo:
        _sms()
    assert type(excinfo.value) is GatewayError and excinfo.value.retryable is True


def test_tokens_never_travel_in_clear_text_to_another_machine(settings):
    settings.INTEGRATIONS_MODE = "http"
    settings.INTEGRATIONS_HTTP = {"sms": {"url": "http://sms.example.com", "token": "secret"}}
    with pytest.raises(ImproperlyConfigured):
        gateway("sms")
