"""Two payments of one contract at the same moment: the money is held once, on a database with row locks."""

import json

import pytest
from django.db import connection
from django.test import Client

from musaned.billing.models import Refund
from musaned.integrations.base import gateway
from recruitment.models import RequestState, TrustEntry, TrustEntryKind
from tests.concurrency import at_once

from .delivery_support import TOTAL, accepted_case, bank_pays, bill, post_callback, quick_pdfs

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (bash .ci/run)"),
    # serialized_rollback: the seeded rule sets come back after each test empties the tables
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _quick_pdfs(monkeypatch):
    quick_pdfs(monkeypatch)


def paid_again_under_another_reference(body: bytes) -> tuple[bytes, str]:
    """The same bill paid a second time at the bank: another payment reference, signed by the service."""
    payload = json.loads(body)
    payload["payment_ref"] = payload["payment_ref"] + "-2"
    other = json.dumps(payload, sort_keys=True).encode()
    return other, gateway("payment").sign(other)


def post(body: bytes, signature: str):
    return lambda: post_callback(Client(), body, signature).json()["status"]


def held_entries(case):
    return TrustEntry.objects.filter(request=case.request, kind=TrustEntryKind.HELD)


def test_the_same_payment_reported_twice_at_once_is_held_once(django_capture_on_commit_callbacks):
    case = accepted_case()
    body, signature = bank_pays(bill(case, django_capture_on_commit_callbacks).number)

    answers, errors = at_once(post(body, signature), post(body, signature))

    assert errors == []
    assert sorted(answers) == ["accepted", "duplicate"]
    assert case.fresh().state == RequestState.IN_PROCESS
    assert held_entries(case).count() == 1


def test_two_payments_of_one_contract_at_once_hold_one_and_send_the_other_back(
    django_capture_on_commit_callbacks,
):
    case = accepted_case()
    body, signature = bank_pays(bill(case, django_capture_on_commit_callbacks).number)
    other_body, other_signature = paid_again_under_another_reference(body)

    answers, errors = at_once(post(body, signature), post(other_body, other_signature))

    assert errors == []
    assert sorted(answers) == ["accepted", "rejected"]
    assert [entry.amount for entry in held_entries(case)] == [TOTAL]
    returned = Refund.objects.get(unaccepted_payment=True)
    assert returned.amount == TOTAL
