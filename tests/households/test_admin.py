"""The admin shows household files and can nudge the identity service; it does not edit them."""

import pytest
from django.urls import reverse

from households.models import IdentityStatus
from musaned.accounts.models import AuditEvent, User
from tests.factories import HouseholdFactory, IncomeProofFactory, with_second_factor

from .conftest import fresh, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser(email="admin@example.sa", password="Strong-pass-2026!")
    with_second_factor(admin)
    return sign_in(client, admin, language="en")


def test_household_pages_are_read_only(admin_client):
    household = HouseholdFactory()
    IncomeProofFactory(household=household)
    assert admin_client.get(reverse("admin:households_household_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:households_household_change", args=[household.pk]))
    assert page.status_code == 200
    assert 'name="national_id"' not in page.content.decode()
    assert admin_client.get(reverse("admin:households_household_add")).status_code == 403
    proof = household.income_proofs.get()
    assert admin_client.get(reverse("admin:households_incomeproof_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:households_incomeproof_change", args=[proof.pk])).status_code == 200
    )
    assert admin_client.get(reverse("admin:households_employedworker_changelist")).status_code == 200


def test_the_admin_can_ask_the_identity_service_again(admin_client, django_capture_on_commit_callbacks):
    pending = HouseholdFactory(identity_status=IdentityStatus.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:households_household_changelist"),
            {"action": "recheck_identity", "_selected_action": [pending.pk]},
        )
    assert response.status_code == 302
    assert fresh(pending).identity_status == IdentityStatus.CONFIRMED
    assert AuditEvent.objects.filter(action="household.identity_check_requested").exists()
