"""Delegations: grant, act within the scope, refused outside it, revoke at once, expiry, audit trail."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from households import services as household_services
from musaned.accounts.actor import Actor
from musaned.accounts.middleware import ActingForMiddleware
from musaned.accounts.models import AuditEvent, Delegation, DelegationScope
from musaned.accounts.roles import Role
from musaned.accounts.services import delegation_grant
from musaned.notifications.models import Notification
from tests.accounts.support import with_totp
from tests.factories import HouseholdFactory, OfficeMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

IN_A_MONTH = dt.timedelta(days=30)


@pytest.fixture
def household():
    return HouseholdFactory()


@pytest.fixture
def helper():
    """The person the household trusts: an ordinary account with a confirmed e-mail."""
    return UserFactory(roles=[])


def grant(client, scope=DelegationScope.PROFILE, **overrides):
    data = {"scope": scope, "valid_until": (timezone.localdate() + IN_A_MONTH).isoformat(), **overrides}
    return client.post(reverse("accounts:delegation_grant"), data)


def acting_actor(client) -> Actor:
    return client.get(reverse("accounts:delegations")).wsgi_request.actor


class TestGrant:
    def test_a_household_grants_and_the_delegate_is_told(
        self, client, household, helper, django_capture_on_commit_callbacks
    ):
        client.force_login(household.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = grant(client, delegate_email=helper.email.upper())
        assert response.status_code == 302
        delegation = Delegation.objects.get()
        assert (delegation.principal, delegation.delegate) == (household.user, helper)
        assert Notification.objects.filter(recipient=helper, event="delegation_granted").exists()
        event = AuditEvent.objects.get(action="delegation_granted")
        assert event.actor == household.user and event.on_behalf_of == household.user

        page = client.get(reverse("accounts:delegations")).content.decode()
        assert helper.email in page

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"delegate_email": "nobody@example.sa"}, "delegate_email"),
            ({"valid_until": "2020-01-01"}, "valid_until"),
            ({"valid_until": (dt.date.today() + dt.timedelta(days=400)).isoformat()}, "valid_until"),
        ],
    )
    def test_bad_requests_are_explained_and_change_nothing(self, client, household, helper, overrides, field):
        client.force_login(household.user)
        response = grant(client, **{"delegate_email": helper.email, **overrides})
        assert response.status_code == 200
        assert response.context["form"].errors[field]
        assert not Delegation.objects.exists()

    def test_not_to_oneself(self, client, household):
        client.force_login(household.user)
        response = grant(client, delegate_email=household.user.email)
        assert response.context["form"].errors["delegate_email"]
        assert not Delegation.objects.exists()

    def test_the_delegate_needs_a_confirmed_e_mail(self, client, household, helper):
        EmailAddress.objects.filter(user=helper).update(verified=False)
        client.force_login(household.user)
        assert grant(client, delegate_email=helper.email).context["form"].errors["delegate_email"]

    def test_an_office_manager_grants_for_the_office(self, helper):
        manager = with_totp(OfficeMembershipFactory().user)
        delegation = delegation_grant(
            actor=Actor.direct(manager),
            delegate_email=helper.email,
            scope=DelegationScope.RECRUITMENT,
            valid_until=timezone.localdate() + IN_A_MONTH,
        )
        assert delegation.principal == manager

    @pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.VISA_REVIEW, Role.SUPERVISORS])
    def test_other_roles_cannot_grant(self, helper, role):
        with pytest.raises(PermissionDenied):
            delegation_grant(
                actor=Actor.direct(UserFactory(roles=[role])),
                delegate_email=helper.email,
                scope=DelegationScope.PROFILE,
                valid_until=timezone.localdate() + IN_A_MONTH,
            )

    def test_a_delegate_cannot_pass_it_on(self, household, helper):
        delegation = Delegation.objects.create(
            principal=household.user,
            delegate=helper,
            scope=DelegationScope.PROFILE,
            valid_until=timezone.localdate() + IN_A_MONTH,
        )
        acting = Actor(user=helper, principal=household.user, delegation=delegation)
        with pytest.raises(PermissionDenied):
            delegation_grant(
                actor=acting,
                delegate_email=UserFactory(roles=[]).email,
                scope=DelegationScope.PROFILE,
                valid_until=timezone.localdate() + IN_A_MONTH,
            )

    def test_the_same_scope_twice_is_refused(self, household, helper):
        values = {
            "delegate_email": helper.email,
            "scope": DelegationScope.PROFILE,
            "valid_until": timezone.localdate() + IN_A_MONTH,
        }
        delegation_grant(actor=Actor.direct(household.user), **values)
        with pytest.raises(ValidationError):
            delegation_grant(actor=Actor.direct(household.user), **values)


class TestActing:
    @pytest.fixture
    def delegation(self, household, helper):
        return Delegation.objects.create(
            principal=household.user,
            delegate=helper,
            scope=DelegationScope.PROFILE,
            valid_until=timezone.localdate() + IN_A_MONTH,
        )

    def test_act_within_scope_and_both_names_are_recorded(self, client, household, helper, delegation):
        client.force_login(helper)
        client.post(reverse("accounts:act_as", args=[delegation.pk]))
        page = client.get(reverse("accounts:delegations"))
        actor = page.wsgi_request.actor
        assert actor.user == helper and actor.principal == household.user
        assert 'class="acting"' in page.content.decode()

        household_services.member_add(
            actor=actor,
            household=household,
            data={"name": "Fatimah", "relation": "daughter", "date_of_birth": dt.date(2012, 4, 2)},
        )
        event = AuditEvent.objects.get(action="household.member_added")
        assert event.actor == helper and event.on_behalf_of == household.user
        assert AuditEvent.objects.filter(
            action="delegation_acting_started", actor=helper, on_behalf_of=household.user
        ).exists()

    def test_an_act_outside_the_scope_is_refused(self, client, household, helper):
        complaints_only = Delegation.objects.create(
            principal=household.user,
            delegate=helper,
            scope=DelegationScope.COMPLAINTS,
            valid_until=timezone.localdate() + IN_A_MONTH,
        )
        client.force_login(helper)
        client.post(reverse("accounts:act_as", args=[complaints_only.pk]))
        actor = acting_actor(client)
        assert actor.principal == household.user
        with pytest.raises(PermissionDenied):
            household_services.member_add(
                actor=actor,
                household=household,
                data={"name": "Fatimah", "relation": "daughter", "date_of_birth": dt.date(2012, 4, 2)},
            )
        assert not household.members.exists()

    def test_revoking_takes_effect_on_the_next_request(
        self, client, household, helper, delegation, django_capture_on_commit_callbacks
    ):
        client.force_login(helper)
        client.post(reverse("accounts:act_as", args=[delegation.pk]))
        assert acting_actor(client).principal == household.user

        owner = self.owner_client(household)
        with django_capture_on_commit_callbacks(execute=True):
            response = owner.post(reverse("accounts:delegation_revoke", args=[delegation.pk]))
        assert response.status_code == 302
        assert Notification.objects.filter(recipient=helper, event="delegation_revoked").exists()
        delegation.refresh_from_db()
        assert delegation.revoked_at is not None

        actor = acting_actor(client)
        assert actor.principal == helper and not actor.is_delegate
        assert ActingForMiddleware.SESSION_KEY not in client.session

    def test_an_expired_delegation_is_ignored(self, client, household, helper, delegation):
        client.force_login(helper)
        session = client.session
        session[ActingForMiddleware.SESSION_KEY] = delegation.pk
        session.save()
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        Delegation.objects.filter(pk=delegation.pk).update(valid_until=yesterday)
        actor = acting_actor(client)
        assert actor.principal == helper and not actor.is_delegate
        assert client.post(reverse("accounts:act_as", args=[delegation.pk])).status_code == 302
        assert acting_actor(client).principal == helper

    def test_going_back_to_the_own_account(self, client, household, helper, delegation):
        client.force_login(helper)
        client.post(reverse("accounts:act_as", args=[delegation.pk]))
        client.post(reverse("accounts:act_as_self"))
        assert acting_actor(client).principal == helper
        assert AuditEvent.objects.filter(action="delegation_acting_stopped", actor=helper).exists()

    def test_nobody_else_can_use_or_revoke_it(self, client, delegation):
        stranger = UserFactory(roles=[Role.HOUSEHOLD])
        client.force_login(stranger)
        assert client.post(reverse("accounts:act_as", args=[delegation.pk])).status_code == 404
        assert client.post(reverse("accounts:delegation_revoke", args=[delegation.pk])).status_code == 404
        delegation.refresh_from_db()
        assert delegation.revoked_at is None

    def test_acting_for_an_office_needs_a_second_factor(self, client, helper):
        manager = with_totp(OfficeMembershipFactory().user)
        delegation = Delegation.objects.create(
            principal=manager,
            delegate=helper,
            scope=DelegationScope.RECRUITMENT,
            valid_until=timezone.localdate() + IN_A_MONTH,
        )
        client.force_login(helper)
        client.post(reverse("accounts:act_as", args=[delegation.pk]))
        assert acting_actor(client).principal == helper
        with_totp(helper)
        client.post(reverse("accounts:act_as", args=[delegation.pk]))
        assert acting_actor(client).principal == manager

    @staticmethod
    def owner_client(household) -> Client:
        owner = Client()
        owner.force_login(household.user)
        return owner
