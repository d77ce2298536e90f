"""What the platform asks of each outside system, independent of how it is reached."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class IdentityRecord:
    """The identity service's answer about one national ID / iqama number."""

    found: bool
    date_of_birth_matches: bool = False
    has_registered_disability: bool = False


class IdentityGateway(ABC):
    name = "identity"

    @abstractmethod
    def verify(self, *, national_id: str, date_of_birth: dt.date) -> IdentityRecord:
        """Look the person up; GatewayError (or a subclass) when the service cannot answer."""


class SmsGateway(ABC):
    name = "sms"

    @abstractmethod
    def send(self, *, to: str, text: str) -> str:
        """Send one SMS to an E.164 number; returns the provider's message id."""


class EmailGateway(ABC):
    name = "email"

    @abstractmethod
    def send(self, *, to: str, subject: str, body: str) -> str:
        """Send one e-mail; returns the provider's message id."""
