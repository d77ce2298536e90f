"""Deterministic stand-ins for the outside systems, used by the demo and the tests.

Each fake can be told to fail through settings.INTEGRATIONS_FAKE_FAILURES, e.g.
{"identity": "timeout"}: "timeout", "error" or "malformed".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.conf import settings

from .base import GatewayError, GatewayTimeout, MalformedReply
from .interfaces import EmailGateway, IdentityGateway, IdentityRecord, SmsGateway

log = logging.getLogger(__name__)


def _failure(name: str) -> None:
    mode = settings.INTEGRATIONS_FAKE_FAILURES.get(name)
    if mode == "timeout":
        raise GatewayTimeout(f"{name}: no answer within the timeout")
    if mode == "error":
        raise GatewayError(f"{name}: the service answered 503")
    if mode == "malformed":
        raise MalformedReply(f"{name}: the answer could not be read")


def _message_id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


class FakeIdentityGateway(IdentityGateway):
    """Knows every valid ID, except: IDs starting 10000 or 20000 are unknown; 10001 / 20001 have
    another date of birth on file; IDs whose sixth digit is 9 belong to people with a registered disability."""

    def verify(self, *, national_id: str, date_of_birth: dt.date) -> IdentityRecord:
        _failure(self.name)
        if national_id[1:5] == "0000":
            return IdentityRecord(found=False)
        return IdentityRecord(
            found=True,
            date_of_birth_matches=national_id[1:5] != "0001",
            has_registered_disability=national_id[5] == "9",
        )


class FakeSmsGateway(SmsGateway):
    """Keeps what it 'sent' in the outbox table so the demo and the tests can read it."""

    def send(self, *, to: str, text: str) -> str:
        from .models import FakeOutbox

        _failure(self.name)
        message_id = _message_id(to, text, dt.datetime.now().isoformat())
        FakeOutbox.objects.create(channel="sms", to=to, body=text, provider_id=message_id)
        log.info("fake SMS to %s: %s", to, text)
        return message_id


class FakeEmailGateway(EmailGateway):
    def send(self, *, to: str, subject: str, body: str) -> str:
        from .models import FakeOutbox

        _failure(self.name)
        message_id = _message_id(to, subject, body, dt.datetime.now().isoformat())
        FakeOutbox.objects.create(channel="email", to=to, subject=subject, body=body, provider_id=message_id)
        return message_id
