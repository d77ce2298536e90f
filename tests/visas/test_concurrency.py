"""Real concurrency on PostgreSQL: two requests at the same moment, each on its own connection."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from musaned.accounts.actor import Actor
from tests.concurrency import at_once
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

    visas, errors = at_once(application, application)

    refusals = [error for error in errors if isinstance(error, ValidationError)]
    assert len(visas) == 1 and isinstance(visas[0], Visa) and refusals == errors and len(errors) == 1, errors
    assert Visa.objects.filter(household=household).count() == 1


def test_two_officers_deciding_at_once_one_decision_stands(officer, second_officer, apply, pay):
    visa = pay(apply(referred_household()))

    decisions, errors = at_once(
        lambda: services.visa_decide(actor=Actor.direct(officer), visa=visa, approve=True),
        lambda: services.visa_decide(
            actor=Actor.direct(second_officer),
            visa=visa,
            approve=False,
            reason=RejectionReason.INCOMPLETE,
        ),
    )

    late = [error for error in errors if isinstance(error, services.VisaAlreadyDecided)]
    assert len(decisions) == 1 and late == errors and len(late) == 1, errors
    decided = fresh(visa)
    winner = decided.decided_by
    assert winner in (officer, second_officer)
    assert decided.state == (VisaState.ACTIVATED if winner == officer else VisaState.REJECTED)
    assert str(winner) in late[0].messages[0]
