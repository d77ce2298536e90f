"""Every gateway fails the three documented ways, changes nothing when it does, and the call log says so."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from musaned.integrations.base import GATEWAYS, GatewayError, GatewayTimeout, MalformedReply, gateway
from musaned.integrations.models import FakeBill, FakeOutbox, GatewayCall

pytestmark = pytest.mark.django_db

ONE_CALL = {
    "identity": ("verify", {"national_id": "1234512345", "date_of_birth": dt.date(1990, 1, 1)}),
    "sms": ("send", {"to": "+966551234567", "text": "hello"}),
    "email": ("send", {"to": "a@example.sa", "subject": "s", "body": "b"}),
    "payment": (
        "create_bill",
        {"bill_number": "V-9", "amount": Decimal("2000"), "currency": "SAR", "due": dt.date(2026, 12, 31)},
    ),
    "passports": ("worker_status", {"passport_number": "P1234561"}),
    "commerce": ("cr_status", {"cr_number": "1010123451"}),
    "mofa": ("activate_visa", {"visa_number": "4000000001"}),
    "insurer": ("issue_policy", {"reference": "C-1", "amount": Decimal("350")}),
}


def test_every_gateway_is_covered():
    assert set(ONE_CALL) == set(GATEWAYS)


def _call(name):
    operation, kwargs = ONE_CALL[name]
    return getattr(gateway(name), operation)(**kwargs)


@pytest.mark.parametrize("name", sorted(GATEWAYS))
def test_each_gateway_answers_when_healthy(name):
    assert _call(name)
    assert GatewayCall.objects.get().outcome == "ok"


@pytest.mark.parametrize("name", sorted(GATEWAYS))
@pytest.mark.parametrize(
    ("mode", "exception", "outcome"),
    [
        ("timeout", GatewayTimeout, "timeout"),
        ("error", GatewayError, "error"),
        ("malformed", MalformedReply, "malformed"),
    ],
)
def test_each_failure_mode_raises_its_error(settings, name, mode, exception, outcome):
    settings.INTEGRATIONS_FAKE_FAILURES = {name: mode}

    with pytest.raises(exception) as excinfo:
        _call(name)

    assert type(excinfo.value) is exception
    assert excinfo.value.retryable is True
    assert not FakeOutbox.objects.exists() and not FakeBill.objects.exists()
    call = GatewayCall.objects.get()
    assert (call.gateway, call.operation, call.outcome) == (name, ONE_CALL[name][0], outcome)
    assert call.error.startswith(f"{name}: ")


def test_a_failure_of_one_gateway_leaves_the_others_alone(settings):
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": "timeout"}
    assert _call("email")


def test_an_unknown_failure_mode_is_a_configuration_mistake(settings):
    settings.INTEGRATIONS_FAKE_FAILURES = {"sms": "slow"}
    with pytest.raises(ImproperlyConfigured):
        _call("sms")
