"""Nobody sees or acts on a visa that isn't theirs: every household visa page, as every kind of account."""

import pytest
from django.urls import reverse

from musaned.accounts.models import User
from musaned.accounts.roles import Role
from musaned.billing.models import Refund
from musaned.documents.models import Document
from tests.accounts.support import with_totp
from tests.factories import HouseholdFactory, UserFactory
from visas.models import ReviewFinding, Visa, VisaState

from .household_support import (
    act_for,
    eligible_household,
    make_delegate,
    sign_in,
)
from .visa_domain import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def visa(apply, pay):
    """Household A's issued visa, printed."""
    visa = pay(apply(eligible_household(name_en="Household A")))
    assert visa.state in (VisaState.ISSUED, VisaState.ACTIVATED)
    assert Document.objects.filter(kind="visa", subject_id=str(visa.pk)).exists()
    return visa


def visa_urls(visa) -> list[str]:
    return [
        reverse("visas:detail", args=[visa.reference]),
        reverse("visas:document", args=[visa.reference]),
        reverse("visas:cancel", args=[visa.reference]),
    ]


def every_url(visa) -> list[str]:
    return [reverse("visas:list"), reverse("visas:apply"), *visa_urls(visa)]


def assert_unchanged(visa) -> None:
    assert fresh(visa).state == visa.state
    assert not Refund.objects.exists()
    assert Visa.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, visa):
    login = reverse("account_login")
    for url in every_url(visa):
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302, url
            assert response["Location"].startswith(f"{login}?next="), url
    assert_unchanged(visa)


def test_another_household_gets_not_found(client, visa, django_capture_on_commit_callbacks):
    other = HouseholdFactory(name_en="Household B")
    sign_in(client, other.user)
    for url in visa_urls(visa):
        assert client.get(url).status_code == 404, url
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url).status_code == 404, url
    listing = client.get(reverse("visas:list")).content.decode()
    assert visa.reference not in listing and visa.number not in listing
    assert_unchanged(visa)


def test_a_delegate_of_another_household_gets_not_found(client, visa):
    other = HouseholdFactory()
    delegate, delegation = make_delegate(other, "visa_applications")
    act_for(client, delegate, delegation)
    for url in visa_urls(visa):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert_unchanged(visa)


STAFF_ROLES = [
    Role.OFFICE_MANAGER,
    Role.OFFICE_STAFF,
    Role.VISA_REVIEW,
    Role.SUPERVISORS,
    Role.COMPLAINTS,
    Role.LICENSING,
]


def test_office_and_ministry_staff_cannot_use_the_household_pages(client, visa):
    for role in STAFF_ROLES:
        sign_in(client, with_totp(UserFactory(roles=[role])))
        for url in every_url(visa):
            assert client.get(url).status_code == 403, (role, url)
            assert client.post(url).status_code == 403, (role, url)
    assert_unchanged(visa)


def test_the_admin_shows_visas_but_changes_nothing(client, visa):
    admin = with_totp(User.objects.create_superuser(email="admin@example.sa", password="Strong-pass-2026!"))
    sign_in(client, admin)
    changelist = reverse("admin:visas_visa_changelist")

    page = client.get(changelist, {"q": visa.household.national_id}).content.decode()
    assert visa.reference in page
    assert client.get(changelist, {"state__exact": "rejected"}).content.decode().count(visa.reference) == 0

    change = reverse("admin:visas_visa_change", args=[visa.pk])
    page = client.get(change).content.decode()
    assert visa.number in page and "Visa issued" in page  # the timeline
    assert 'name="_save"' not in page
    assert client.post(change, {"state": "cancelled"}).status_code == 403
    assert client.get(reverse("admin:visas_visa_add")).status_code == 403
    assert client.post(reverse("admin:visas_visa_delete", args=[visa.pk]), {"post": "yes"}).status_code == 403

    finding = ReviewFinding.objects.filter(visa=visa).first()
    assert client.get(reverse("admin:visas_reviewfinding_change", args=[finding.pk])).status_code == 200
    assert client.get(reverse("admin:visas_reviewfinding_add")).status_code == 403
    assert_unchanged(visa)
