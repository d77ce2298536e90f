"""Two officers deciding the same complaint at the same moment: one decision stands, on a database with
row locks."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from musaned.accounts.actor import Actor
from musaned.accounts.roles import Role
from recruitment.complaints import complaint_decide
from recruitment.models import Complaint, ComplaintState, RequestState, Sanction
from tests.concurrency import at_once

from .complaint_cases import make_case, officer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (bash .ci/run)"),
    # serialized_rollback: the seeded rule sets come back after each test empties the tables
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_officers_deciding_at_once_leave_one_decision():
    case = make_case(state=RequestState.IN_PROCESS)
    now = timezone.now()
    complaint = Complaint.objects.create(
        request=case,
        office=case.office,
        filed_by=case.household.user,
        category="contract",
        description="Late and unreachable.",
        response_due_at=now,
        state=ComplaintState.ESCALATED,
        escalated_at=now,
    )
    first, second = officer(Role.COMPLAINTS), officer(Role.SUPERVISORS)

    def decide(user, decision, **extra):
        def run():
            with translation.override("en"):  # a thread starts in the default language
                return complaint_decide(
                    actor=Actor.direct(user), complaint=complaint, decision=decision, note="Decided.", **extra
                ).decision

        return run

    results, errors = at_once(decide(first, "warning"), decide(second, "suspension", suspension_days=30))

    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], ValidationError) and "has just been decided by" in errors[0].messages[0]
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.state == ComplaintState.DECIDED and stored.decision == results[0]
    assert list(Sanction.objects.values_list("kind", flat=True)) == [results[0]]
