"""Helpers for the household's visa pages: signing in, an eligible household, acting as a delegate.

Files, permissions and URLs are set up for every visa test by conftest.py.
"""

import datetime as dt

from django.utils import timezone

from households.models import ProofKind
from musaned.accounts.models import Delegation
from tests.factories import HouseholdFactory, IncomeProofFactory, UserFactory

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def sign_in(client, user, language: str | None = "en"):
    client.force_login(user, backend=LOGIN_BACKEND)
    if language:
        client.cookies["django_language"] = language
    return client


def eligible_household(**kwargs):
    """A citizen with a salary certificate from last week, declaring 12,000 SAR a month."""
    household = HouseholdFactory(**kwargs)
    IncomeProofFactory(household=household, kind=ProofKind.SALARY_CERTIFICATE)
    return household


def make_delegate(household, scope: str):
    delegate = UserFactory(roles=[], first_name="Sara", last_name="Delegate")
    delegation = Delegation.objects.create(
        principal=household.user,
        delegate=delegate,
        scope=scope,
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    return delegate, delegation


def act_for(client, delegate, delegation):
    """Sign in as the delegate, acting under the delegation (as the "act for" switch leaves it)."""
    sign_in(client, delegate)
    session = client.session
    session["acting_delegation_id"] = delegation.pk
    session.save()
    return client
