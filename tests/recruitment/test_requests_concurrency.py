"""Two choices of a worker arriving at the same moment (two clicks, two tabs): one contract, on a database
with row locks."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from musaned.accounts.actor import Actor
from recruitment import requests as services
from recruitment.models import Contract, OfferState, RequestState
from tests.concurrency import at_once

from .requests_domain import english_household, fresh, office_with_staff, quick_pdfs, visa_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (bash .ci/run)"),
    # serialized_rollback: the seeded rule sets and contract templates come back after each test
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def offered(monkeypatch):
    """A request with two offers, chosen by its household."""
    quick_pdfs(monkeypatch)
    household = english_household()
    office, staff = office_with_staff("Al Nakheel Recruitment")
    family, team = Actor.direct(household.user), Actor.direct(staff)
    request = services.request_create(actor=family, visa=visa_for(household), mode="specification")
    services.request_choose_office(actor=family, request=request, office=office)
    offers = [
        services.offer_send(actor=team, request=fresh(request), cv=cv) for cv in office.cvs.order_by("pk")
    ]
    return family, fresh(request), offers


def test_two_tabs_choosing_two_workers_at_once_make_one_contract(offered):
    family, request, offers = offered

    results, errors = at_once(
        in_english(lambda: services.offer_select(actor=family, request=request, offer=offers[0])),
        in_english(lambda: services.offer_select(actor=family, request=request, offer=offers[1])),
    )

    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], ValidationError) and "You already chose" in errors[0].messages[0]
    contract = Contract.objects.get()
    assert contract == results[0] and fresh(request).state == RequestState.AWAITING_WORKER
    assert sorted(request.offers.values_list("state", flat=True)) == [
        OfferState.REJECTED,
        OfferState.SELECTED,
    ]


def test_a_double_click_on_the_same_worker_makes_one_contract(offered):
    family, request, offers = offered

    results, errors = at_once(
        lambda: services.offer_select(actor=family, request=request, offer=offers[0]),
        lambda: services.offer_select(actor=family, request=request, offer=offers[0]),
    )

    assert errors == [] and results[0] == results[1] == Contract.objects.get()
    assert fresh(request).state == RequestState.AWAITING_WORKER


def in_english(call):
    """A thread starts in the default language (Arabic); these assertions read the English wording."""

    def run():
        with translation.override("en"):
            return call()

    return run
