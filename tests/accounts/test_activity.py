"""The activity page: sign-ins (and failures) with address and device, delegates' acts, sessions."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent
from musaned.accounts.roles import Role
from musaned.accounts.services import audit_record
from tests.accounts.support import CHROME_ANDROID, sign_in, signed_in_user_id
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory(roles=[Role.HOUSEHOLD], first_name="Huda")


def test_sign_ins_and_failed_attempts_show_when_and_from_where(user):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    sign_in(attacker, user.email, "Not-the-password-1!")
    owner = Client(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT=CHROME_ANDROID)
    sign_in(owner, user.email)
    owner.cookies["django_language"] = "en"

    page = owner.get(reverse("accounts:activity")).content.decode()
    assert "198.51.100.7" in page and "Chrome on Android" in page
    assert "Signed in" in page
    assert "203.0.113.9" in page and "Failed sign-in attempt" in page


def test_a_delegate_s_acts_name_the_delegate(client, user):
    delegate = UserFactory(roles=[], first_name="Ahmed", last_name="Delegate")
    audit_record(action="household.profile_updated", actor=Actor(user=delegate, principal=user), target=user)
    client.force_login(user)
    assert "Ahmed Delegate" in client.get(reverse("accounts:activity")).content.decode()


def test_nobody_sees_another_account_s_activity(client, user):
    other = UserFactory(roles=[Role.HOUSEHOLD])
    audit_record(action="signed_in", actor=Actor.direct(other, ip_address="192.0.2.44"), target=other)
    client.force_login(user)
    assert "192.0.2.44" not in client.get(reverse("accounts:activity")).content.decode()


def test_many_events_take_a_bounded_number_of_queries_and_are_paged(
    client, user, django_assert_max_num_queries
):
    delegate = UserFactory(roles=[])
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action="signed_in" if n % 2 else "household.profile_updated",
            actor=user if n % 2 else delegate,
            on_behalf_of=user,
            created_at=now,
            ip_address=f"10.0.{n // 250}.{n % 250}",
            user_agent=CHROME_ANDROID,
        )
        for n in range(120)
    )
    client.force_login(user)
    client.get(reverse("accounts:activity"))  # the first visit records the session
    with django_assert_max_num_queries(12):
        first = client.get(reverse("accounts:activity"))
    with django_assert_max_num_queries(12):
        last = client.get(reverse("accounts:activity"), {"page": 5})
    assert len(first.context["page"].object_list) == 25
    assert first.context["page"].paginator.num_pages == 5
    assert last.status_code == 200


def test_sign_out_everywhere_else(user):
    here, elsewhere = Client(REMOTE_ADDR="10.1.1.1"), Client(REMOTE_ADDR="10.2.2.2")
    sign_in(here, user.email)
    sign_in(elsewhere, user.email)
    page = here.get(reverse("accounts:activity")).content.decode()
    assert "10.1.1.1" in page and "10.2.2.2" in page

    here.post(reverse("accounts:sign_out_others"))
    assert signed_in_user_id(here) == str(user.pk)
    assert elsewhere.get(reverse("accounts:activity")).url.startswith(reverse("account_login"))
    assert "10.2.2.2" not in here.get(reverse("accounts:activity")).content.decode().split("<tbody>")[1]


def test_the_security_page_links_everything(client, user):
    client.force_login(user)
    page = client.get(reverse("accounts:security")).content.decode()
    for name in (
        "mfa_activate_totp",
        "account_change_password",
        "accounts:delegations",
        "accounts:activity",
        "accounts:report_compromised",
    ):
        assert reverse(name) in page
