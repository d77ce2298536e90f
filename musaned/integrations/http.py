"""The real outside systems: JSON over HTTPS, one client per gateway.

Each service's base URL and bearer token come from settings.INTEGRATIONS_HTTP[name]; every request
waits at most settings.INTEGRATIONS_TIMEOUT_SECONDS. How failures map to errors:

- no answer in time: GatewayTimeout;
- HTTP 5xx, 408, 429, a refused or dropped connection: GatewayError (retryable);
- any other HTTP 4xx: GatewayError with retryable=False (the service refused the request itself);
- an answer that is not JSON or lacks what the parser expects: MalformedReply.

Error texts carry the status, never the request's path or the answer's body (both hold personal data).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Generator
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import replies
from .base import GatewayError, GatewayTimeout, MalformedReply
from .interfaces import (
    BillRef,
    BillStatus,
    CommerceGateway,
    CrStatus,
    EmailGateway,
    IdentityGateway,
    IdentityRecord,
    InsurerGateway,
    MofaGateway,
    PassportsGateway,
    PassportStatus,
    PaymentGateway,
    RefundRef,
    SmsGateway,
)

RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
FEED_LINE_MAX_BYTES = 64 * 1024  # a longer line arrives in pieces, each then refused as a malformed row


def _segment(value: str) -> str:
    """A value placed in a URL path, escaped so it stays one segment."""
    return quote(value, safe="")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


class JsonClient:
    """Sends one JSON request to a configured service and returns the decoded JSON object."""

    def __init__(self, name: str) -> None:
        config = settings.INTEGRATIONS_HTTP.get(name) or {}
        base_url = (config.get("url") or "").rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
            raise ImproperlyConfigured(f"GATEWAY_{name.upper()}_URL must be an https:// URL.")
        self.name = name
        self.base_url = base_url
        self.token = config.get("token") or ""

    def request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        with self.open(method, path, payload) as response:
            body = self.guard(response.read)
        try:
            return json.loads(body, parse_float=Decimal)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise MalformedReply(f"{self.name}: the answer is not JSON") from None

    def open(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        *,
        accept: str = "application/json",
    ) -> http.client.HTTPResponse:
        """Send the request and return the response once its status says it succeeded; the caller
        reads the body (through `guard`, which maps failures the same way) and closes the response."""
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(payload).encode()
        # The scheme is https (or http to this machine): checked when the client was built.
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)  # noqa: S310
        return self.guard(urllib.request.urlopen, request, timeout=settings.INTEGRATIONS_TIMEOUT_SECONDS)

    def guard(self, step: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one network step (opening, or reading the answer), its failures mapped to gateway errors."""
        try:
            return step(*args, **kwargs)
        except urllib.error.HTTPError as exc:
            exc.close()
            retryable = exc.code >= 500 or exc.code in RETRYABLE_CLIENT_STATUSES
            raise GatewayError(f"{self.name}: the service answered {exc.code}", retryable=retryable) from None
        except TimeoutError:
            raise GatewayTimeout(f"{self.name}: no answer within the timeout") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise GatewayTimeout(f"{self.name}: no answer within the timeout") from None
            reason = type(exc.reason).__name__
            raise GatewayError(f"{self.name}: could not reach the service ({reason})") from None
        except (http.client.HTTPException, OSError) as exc:
            raise GatewayError(f"{self.name}: the connection failed ({type(exc).__name__})") from None


class HttpGateway:
    """Gives each client its JsonClient, built from the settings of the gateway's `name`."""

    name: str

    def __init__(self) -> None:
        self.client = JsonClient(self.name)


class HttpIdentityGateway(HttpGateway, IdentityGateway):
    def verify(self, *, national_id: str, date_of_birth: dt.date) -> IdentityRecord:
        raw = self.client.request(
            "POST", "/verify", {"national_id": national_id, "date_of_birth": date_of_birth.isoformat()}
        )
        return replies.parse_identity(raw)


class HttpSmsGateway(HttpGateway, SmsGateway):
    def send(self, *, to: str, text: str) -> str:
        raw = self.client.request("POST", "/messages", {"to": to, "text": text})
        return replies.parse_message_id(self.name, raw)


class HttpEmailGateway(HttpGateway, EmailGateway):
    def send(self, *, to: str, subject: str, body: str) -> str:
        raw = self.client.request("POST", "/messages", {"to": to, "subject": subject, "body": body})
        return replies.parse_message_id(self.name, raw)


class HttpPaymentGateway(HttpGateway, PaymentGateway):
    def create_bill(self, *, bill_number: str, amount: Decimal, currency: str, due: dt.date) -> BillRef:
        payload = {
            "bill_number": bill_number,
            "amount": _amount(amount),
            "currency": currency,
            "due_date": due.isoformat(),
        }
        return replies.parse_bill(self.client.request("POST", "/bills", payload))

    def bill_status(self, *, bill_number: str) -> BillStatus:
        return replies.parse_bill_status(self.client.request("GET", f"/bills/{_segment(bill_number)}"))

    def refund(self, *, payment_ref: str, amount: Decimal, key: str) -> RefundRef:
        payload = {"payment_ref": payment_ref, "amount": _amount(amount), "idempotency_key": key}
        return replies.parse_refund(self.client.request("POST", "/refunds", payload))


class HttpPassportsGateway(HttpGateway, PassportsGateway):
    def worker_status(self, *, passport_number: str) -> PassportStatus:
        raw = self.client.request("GET", f"/workers/{_segment(passport_number)}/status")
        return replies.parse_passport_status(raw)

    def bulk_feed(self, *, run_date: dt.date, skip: int = 0) -> Generator[str, None, None]:
        """GET /feeds/<date> answers the night's CSV file, read a line at a time as it arrives.

        Every read waits at most the timeout: a stalled transfer is a GatewayTimeout, a dropped one a
        GatewayError (detected when the service gives the length or sends chunks, as HTTP/1.1 services
        do). Skipped lines are read and passed over (the service need not support ranges).
        """
        response = self.client.open("GET", f"/feeds/{run_date.isoformat()}", accept="text/csv")
        try:
            replies.parse_feed_header(self._next_line(response))
        except BaseException:
            response.close()
            raise
        return self._lines(response, skip)

    def _next_line(self, response: http.client.HTTPResponse) -> str | None:
        raw = self.client.guard(response.readline, FEED_LINE_MAX_BYTES)
        if not raw:
            return None
        return raw.decode("utf-8", errors="replace").rstrip("\r\n")

    def _lines(self, response: http.client.HTTPResponse, skip: int) -> Generator[str, None, None]:
        with response:
            for _ in range(skip):
                if self._next_line(response) is None:
                    break
            else:
                while (line := self._next_line(response)) is not None:
                    yield line
            if response.length:  # the connection closed before the length the service announced
                raise GatewayError(f"{self.name}: the feed was cut off before its end")


class HttpCommerceGateway(HttpGateway, CommerceGateway):
    def cr_status(self, *, cr_number: str) -> CrStatus:
        return replies.parse_cr_status(self.client.request("GET", f"/registrations/{_segment(cr_number)}"))


class HttpMofaGateway(HttpGateway, MofaGateway):
    def activate_visa(self, *, visa_number: str) -> str:
        raw = self.client.request("POST", f"/visas/{_segment(visa_number)}/activation", {})
        return replies.parse_activation(raw)


class HttpInsurerGateway(HttpGateway, InsurerGateway):
    def issue_policy(self, *, reference: str, amount: Decimal) -> str:
        raw = self.client.request("POST", "/policies", {"reference": reference, "amount": _amount(amount)})
        return replies.parse_policy(raw)
