"""'My account is compromised': lock, sign out everywhere, revoke, alert; a supervisor unlocks."""

import datetime as dt

import pytest
from allauth.usersessions.models import UserSession
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent, Delegation, DelegationScope, User
from musaned.accounts.roles import Role
from musaned.accounts.services import account_unlock
from musaned.notifications.models import Message, Notification
from tests.accounts.support import last_link, sign_in, signed_in_user_id, with_totp
from tests.factories import PASSWORD, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-start-2027!"


@pytest.fixture
def supervisor():
    return with_totp(UserFactory(roles=[Role.SUPERVISORS]))


@pytest.fixture
def victim():
    return HouseholdFactory().user


def signed_in_client(user, address: str) -> Client:
    client = Client(REMOTE_ADDR=address)
    assert sign_in(client, user.email).status_code == 302
    return client


def report(client, django_capture_on_commit_callbacks, reason="Someone changed my e-mail settings"):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("accounts:report_compromised"), {"reason": reason, "confirm": "on"})


def test_the_confirmation_page_explains_before_anything_happens(client, victim):
    client.force_login(victim)
    page = client.get(reverse("accounts:report_compromised"))
    assert page.status_code == 200
    # without ticking the confirmation nothing happens
    assert client.post(reverse("accounts:report_compromised"), {"reason": "x"}).status_code == 200
    victim.refresh_from_db()
    assert victim.is_active and victim.locked_at is None


def test_reporting_locks_signs_out_everywhere_revokes_and_alerts(
    victim, supervisor, django_capture_on_commit_callbacks
):
    phone, laptop = signed_in_client(victim, "10.0.0.1"), signed_in_client(victim, "10.0.0.2")
    assert UserSession.objects.filter(user=victim).count() == 2
    helper, principal = UserFactory(roles=[]), UserFactory(roles=[Role.HOUSEHOLD])
    until = timezone.localdate() + dt.timedelta(days=20)
    granted = Delegation.objects.create(
        principal=victim, delegate=helper, scope=DelegationScope.PROFILE, valid_until=until
    )
    received = Delegation.objects.create(
        principal=principal, delegate=victim, scope=DelegationScope.COMPLAINTS, valid_until=until
    )

    response = report(phone, django_capture_on_commit_callbacks)
    assert response.url == reverse("accounts:compromised_done")
    phone.cookies["django_language"] = "en"
    assert "What happens next" in phone.get(response.url).content.decode()

    victim.refresh_from_db()
    assert not victim.is_active and victim.locked_at is not None
    assert victim.lock_reason == "Someone changed my e-mail settings"
    assert signed_in_user_id(phone) is None
    assert laptop.get(reverse("accounts:security")).url.startswith(
        reverse("account_login")
    )  # signed out there too
    assert not UserSession.objects.filter(user=victim).exists()
    for delegation in (granted, received):
        delegation.refresh_from_db()
        assert delegation.revoked_at is not None

    alert = Notification.objects.get(recipient=supervisor, event="security_alert")
    assert victim.email in alert.body
    assert Message.objects.filter(recipient=supervisor, channel="email").exists()
    assert Message.objects.filter(recipient=victim, channel="email", subject__isnull=False).exists()
    assert not Notification.objects.filter(recipient=victim).exists()  # by e-mail only: the inbox is locked
    assert Notification.objects.filter(recipient=helper, event="delegation_revoked").exists()
    event = AuditEvent.objects.get(action="account_reported_compromised")
    assert event.actor == victim and event.to_state == "locked"


def test_a_locked_account_cannot_sign_in(client, victim, django_capture_on_commit_callbacks):
    report(signed_in_client(victim, "10.0.0.1"), django_capture_on_commit_callbacks)
    client.cookies["django_language"] = "en"
    response = sign_in(client, victim.email, PASSWORD)
    assert signed_in_user_id(client) is None
    assert response.url == reverse("account_inactive")
    assert "This account is not active" in client.get(response.url).content.decode()


def test_a_supervisor_unlocks_after_checking_identity_and_a_new_password_is_needed(
    victim, supervisor, django_capture_on_commit_callbacks
):
    report(signed_in_client(victim, "10.0.0.1"), django_capture_on_commit_callbacks)
    officer = Client()
    officer.force_login(supervisor)
    alerts = officer.get(reverse("ministry:security_alerts"))
    assert alerts.status_code == 200 and victim.email in alerts.content.decode()

    unlock_url = reverse("ministry:unlock", args=[victim.pk])
    assert officer.get(unlock_url).status_code == 200
    refused = officer.post(unlock_url, {"identity_check": "Seen in person"})  # box not ticked
    assert refused.status_code == 200
    victim.refresh_from_db()
    assert victim.locked_at is not None

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(
            unlock_url, {"identity_check": "National ID card at the Riyadh branch", "confirm": "on"}
        )
    assert response.url == reverse("ministry:security_alerts")
    victim.refresh_from_db()
    assert victim.is_active and victim.locked_at is None and not victim.has_usable_password()
    event = AuditEvent.objects.get(action="account_unlocked")
    assert event.actor == supervisor and event.changes["identity_check"].startswith("National ID")

    owner = Client()
    assert sign_in(owner, victim.email, PASSWORD).status_code == 200  # the old password is gone
    assert mail.outbox[-1].to == [victim.email]
    set_url = owner.get(last_link(), follow=True).redirect_chain[-1][0]
    owner.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    owner.logout()
    assert sign_in(owner, victim.email, NEW_PASSWORD).status_code == 302


def test_only_someone_allowed_can_unlock(victim, django_capture_on_commit_callbacks):
    report(signed_in_client(victim, "10.0.0.1"), django_capture_on_commit_callbacks)
    visa_officer = with_totp(UserFactory(roles=[Role.VISA_REVIEW]))
    with pytest.raises(PermissionDenied):
        account_unlock(actor=Actor.direct(visa_officer), user=victim)
    assert User.objects.get(pk=victim.pk).locked_at is not None
