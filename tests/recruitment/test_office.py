"""The office area: the office's own facts and people; the manager adds and removes staff."""

import datetime as dt

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.models import AuditEvent, Delegation, DelegationScope, User
from musaned.accounts.roles import Role
from recruitment.models import OfficeMembership, OfficeRole
from tests.accounts.support import last_link, sign_in, signed_in_user_id, with_totp
from tests.factories import OfficeFactory, OfficeMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Office-work-2027!"


@pytest.fixture
def manager():
    return with_totp(OfficeMembershipFactory(office=OfficeFactory(name_en="Al Nakheel Recruitment")).user)


@pytest.fixture
def manager_client(manager):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(manager)
    return client


def add_staff(client, django_capture_on_commit_callbacks, email="noura@office.example.sa"):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            reverse("recruitment:staff_add"), {"email": email, "first_name": "Noura", "last_name": "Alshehri"}
        )


def test_the_office_page_shows_the_own_office_only(manager_client, manager):
    OfficeFactory(name_en="Somebody Else Recruitment")
    page = manager_client.get(reverse("recruitment:office_home")).content.decode()
    assert "Al Nakheel Recruitment" in page and manager.email in page
    assert "Somebody Else Recruitment" not in page


def test_a_manager_adds_staff_who_chooses_a_password_and_must_set_up_totp(
    manager_client, manager, django_capture_on_commit_callbacks
):
    response = add_staff(manager_client, django_capture_on_commit_callbacks)
    assert response.url == reverse("recruitment:office_home")
    staff = User.objects.get(email="noura@office.example.sa")
    assert staff.has_role(Role.OFFICE_STAFF) and not staff.has_usable_password()
    membership = OfficeMembership.objects.get(user=staff)
    assert membership.office == manager.office_membership.office and membership.role == OfficeRole.STAFF
    assert AuditEvent.objects.filter(action="office_member_added", actor=manager).exists()

    invitation = mail.outbox[-1]
    assert invitation.to == [staff.email] and "Al Nakheel Recruitment" in invitation.subject
    newcomer = Client()
    set_url = newcomer.get(last_link(), follow=True).redirect_chain[-1][0]
    newcomer.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    newcomer.logout()
    response = sign_in(newcomer, staff.email, NEW_PASSWORD)
    assert signed_in_user_id(newcomer) == str(staff.pk)
    assert newcomer.get(reverse("recruitment:office_home")).url == reverse("mfa_activate_totp")
    assert not Authenticator.objects.filter(user=staff).exists()
    assert response.status_code == 302


def test_an_address_that_already_has_an_account_is_refused(
    manager_client, django_capture_on_commit_callbacks
):
    existing = UserFactory(roles=[Role.HOUSEHOLD])
    response = add_staff(manager_client, django_capture_on_commit_callbacks, email=existing.email)
    assert response.status_code == 200
    assert "already has an account" in response.content.decode()
    assert not OfficeMembership.objects.filter(user=existing).exists()
    assert mail.outbox == []


def test_staff_cannot_add_staff(client):
    staff = with_totp(
        OfficeMembershipFactory(role=OfficeRole.STAFF, user=UserFactory(roles=[Role.OFFICE_STAFF])).user
    )
    client.force_login(staff)
    assert client.post(reverse("recruitment:staff_add"), {"email": "x@example.sa"}).status_code == 403
    assert not User.objects.filter(email="x@example.sa").exists()


def test_a_manager_removes_staff_who_is_signed_out_at_once(manager_client, manager):
    staff = OfficeMembershipFactory(
        office=manager.office_membership.office,
        role=OfficeRole.STAFF,
        user=with_totp(UserFactory(roles=[Role.OFFICE_STAFF])),
    )
    staff_client = Client()
    staff_client.force_login(staff.user)
    assert staff_client.get(reverse("recruitment:office_home")).status_code == 200

    assert manager_client.get(reverse("recruitment:staff_remove", args=[staff.pk])).status_code == 200
    manager_client.post(reverse("recruitment:staff_remove", args=[staff.pk]))
    staff.user.refresh_from_db()
    assert not staff.user.is_active
    assert not OfficeMembership.objects.filter(pk=staff.pk).exists()
    assert staff_client.get(reverse("recruitment:office_home")).url.startswith(reverse("account_login"))


def test_a_manager_cannot_touch_another_office_s_staff(manager_client):
    other = OfficeMembershipFactory(role=OfficeRole.STAFF, user=UserFactory(roles=[Role.OFFICE_STAFF]))
    assert manager_client.post(reverse("recruitment:staff_remove", args=[other.pk])).status_code == 404
    other.user.refresh_from_db()
    assert other.user.is_active


def test_a_manager_cannot_remove_themselves(manager_client, manager):
    own = manager.office_membership
    assert manager_client.post(reverse("recruitment:staff_remove", args=[own.pk])).status_code == 404
    manager.refresh_from_db()
    assert manager.is_active


def test_a_delegate_of_the_manager_sees_the_office_but_cannot_manage_its_people(client, manager):
    helper = with_totp(UserFactory(roles=[]))
    delegation = Delegation.objects.create(
        principal=manager,
        delegate=helper,
        scope=DelegationScope.RECRUITMENT,
        valid_until=timezone.localdate() + dt.timedelta(days=10),
    )
    client.force_login(helper)
    assert client.get(reverse("recruitment:office_home")).status_code == 403
    client.post(reverse("accounts:act_as", args=[delegation.pk]))
    assert client.get(reverse("recruitment:office_home")).status_code == 200
    assert client.get(reverse("recruitment:staff_add")).status_code == 403
