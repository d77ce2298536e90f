"""Real concurrency on PostgreSQL: two requests at the same moment, each on its own connection."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from musaned.accounts.actor import Actor
from tests.factories import HouseholdFactory, IncomeProofFactory
from visas import services
from visas.models import RejectionReason, Visa, VisaState

from .visa_domain import country, fresh, occupation, referred_household

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keep the seeded reference data
    pytest.mark.usefixtures("quick_pdfs"),
]


def at_once(*calls):
    """Run the calls in parallel threads released together; each result or exception, in order."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            start.wait()
            results[index] = call()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_applications_at_once_for_the_last_free_slot_make_one_visa():
    # 5,000 SAR with a salary certificate: one visa (a second needs 7,000 SAR).
    household = HouseholdFactory(monthly_income=Decimal("5000"))
    IncomeProofFactory(household=household)

    def application():
        return services.visa_apply(
            actor=Actor.direct(household.user),
            occupation=occupation(),
            nationality=country(),
            gender="female",
            arrival_city="JED",
            stated_income=Decimal("5000"),
        )

    results = at_once(application, application)

    visas = [result for result in results if isinstance(result, Visa)]
    refusals = [result for result in results if isinstance(result, ValidationError)]
    assert len(visas) == 1 and len(refusals) == 1, results
    assert Visa.objects.filter(household=household).count() == 1


def test_two_officers_deciding_at_once_one_decision_stands(officer, second_officer, apply, pay):
    visa = pay(apply(referred_household()))

    results = at_once(
        lambda: services.visa_decide(actor=Actor.direct(officer), visa=visa, approve=True),
        lambda: services.visa_decide(
            actor=Actor.direct(second_officer),
            visa=visa,
            approve=False,
            reason=RejectionReason.INCOMPLETE,
        ),
    )

    late = [result for result in results if isinstance(result, services.VisaAlreadyDecided)]
    assert len(late) == 1, results
    winner = officer if isinstance(results[1], services.VisaAlreadyDecided) else second_officer
    decided = fresh(visa)
    assert decided.decided_by == winner
    assert decided.state == (VisaState.ACTIVATED if winner == officer else VisaState.REJECTED)
    assert str(winner) in late[0].messages[0]
