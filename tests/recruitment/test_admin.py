"""The ministry registers an office and invites its first manager in the admin site."""

import pytest
from django.core import mail
from django.urls import reverse

from musaned.accounts.models import AuditEvent, User
from musaned.accounts.roles import Role
from recruitment.models import Office, OfficeMembership
from tests.accounts.support import with_totp
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(with_totp(UserFactory(roles=[], is_staff=True, is_superuser=True)))
    return client


def test_register_an_office_and_invite_its_manager(admin_client, django_capture_on_commit_callbacks):
    response = admin_client.post(
        reverse("admin:recruitment_office_add"),
        {
            "name_ar": "مكتب الواحة",
            "name_en": "Al Waha Office",
            "cr_number": "4030111222",
            "licence_number": "RL-777",
            "licence_valid_until": "2030-01-01",
            "bank_guarantee_amount": "250000",
            "city": "جدة",
            "phone": "+966122222222",
            "email": "info@alwaha.example.sa",
            "active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    office = Office.objects.get(cr_number="4030111222")
    assert AuditEvent.objects.filter(action="office_registered", target_id=str(office.pk)).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:recruitment_officemembership_add"),
            {
                "office": office.pk,
                "role": "manager",
                "email": "boss@alwaha.example.sa",
                "first_name": "Saad",
                "last_name": "Alghamdi",
            },
        )
    assert response.status_code == 302
    manager = User.objects.get(email="boss@alwaha.example.sa")
    assert manager.has_role(Role.OFFICE_MANAGER)
    assert OfficeMembership.objects.get(user=manager).office == office
    assert mail.outbox[-1].to == [manager.email]


def test_a_bad_commercial_registration_number_is_refused(admin_client):
    OfficeFactory(cr_number="4030111222")
    response = admin_client.post(reverse("admin:recruitment_office_add"), {"cr_number": "12AB"})
    assert response.status_code == 200
    assert Office.objects.count() == 1
