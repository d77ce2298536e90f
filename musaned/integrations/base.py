"""What every gateway shares: its errors and how one is chosen (fake or real) by settings."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string


class GatewayError(Exception):
    """The outside system answered with an error; worth retrying later."""

    retryable = True


class GatewayTimeout(GatewayError):
    """No answer within the timeout."""


class MalformedReply(GatewayError):
    """The answer could not be understood (wrong shape, missing fields)."""


GATEWAYS = {
    "identity": ("musaned.integrations.fakes.FakeIdentityGateway", "musaned.integrations.http.HttpIdentityGateway"),
    "sms": ("musaned.integrations.fakes.FakeSmsGateway", "musaned.integrations.http.HttpSmsGateway"),
    "email": ("musaned.integrations.fakes.FakeEmailGateway", "musaned.integrations.http.HttpEmailGateway"),
    "payment": ("musaned.integrations.fakes.FakePaymentGateway", "musaned.integrations.http.HttpPaymentGateway"),
    "passports": ("musaned.integrations.fakes.FakePassportsGateway", "musaned.integrations.http.HttpPassportsGateway"),
    "commerce": ("musaned.integrations.fakes.FakeCommerceGateway", "musaned.integrations.http.HttpCommerceGateway"),
    "mofa": ("musaned.integrations.fakes.FakeMofaGateway", "musaned.integrations.http.HttpMofaGateway"),
    "insurer": ("musaned.integrations.fakes.FakeInsurerGateway", "musaned.integrations.http.HttpInsurerGateway"),
}


def gateway(name: str):
    """The gateway for `name` as settings choose it: INTEGRATIONS_MODE is "fake" or "http"."""
    fake_path, http_path = GATEWAYS[name]
    path = fake_path if settings.INTEGRATIONS_MODE == "fake" else http_path
    return import_string(path)()
