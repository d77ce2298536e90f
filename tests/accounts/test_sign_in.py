"""Sign-up, e-mail confirmation, password reset, lock-out and the second factor, over HTTP."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from musaned.accounts.models import AuditEvent, User
from musaned.accounts.roles import Role
from tests.accounts.support import SECRET, sign_in, signed_in_user_id, totp_code, with_totp
from tests.factories import PASSWORD, OfficeMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-strong-2027#"


def reset_link() -> str:
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)


def _text(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_sign_up_confirm_email_and_be_signed_in(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("account_signup"))
    html = page.content.decode()
    assert f'lang="{language}"' in html
    assert ('dir="rtl"' in html) == (language == "ar")
    assert _text(language, "Sign Up") in html
    assert 'class="topbar"' in html  # allauth's page sits in the site's own layout

    response = client.post(
        reverse("account_signup"),
        {"email": "New.Person@Example.sa", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.person@example.sa")
    assert user.is_household and user.preferred_language == language
    assert signed_in_user_id(client) is None  # not before the address is confirmed

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.sa"]
    assert _text(language, "Please Confirm Your Email Address") in message.subject
    assert _text(language, "Musaned") in message.subject
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body).group(1)

    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert signed_in_user_id(client) == str(user.pk)


def test_sign_up_with_a_weak_password_explains_and_creates_nothing(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "weak@example.sa", "password1": "password", "password2": "password"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.sa").exists()
    assert mail.outbox == []


def test_password_reset_by_e_mail(client):
    user = UserFactory(roles=[Role.HOUSEHOLD])
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = reset_link()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    client.logout()
    assert sign_in(client, user.email, PASSWORD).status_code == 200  # the old one no longer works
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == 302
    assert signed_in_user_id(client) == str(user.pk)


class TestLockOut:
    def test_five_wrong_passwords_lock_even_the_right_one_out(self, client):
        user = UserFactory(roles=[Role.HOUSEHOLD])
        for _attempt in range(4):
            assert sign_in(client, user.email, "Wrong-password-1!").status_code == 200
        locked = sign_in(client, user.email, "Wrong-password-1!")
        assert locked.status_code == 429
        text = locked.content.decode()
        assert "30" in text and reverse("account_reset_password") in text
        assert "topbar" in text  # a proper page in the site's layout, not a bare message

        refused = sign_in(client, user.email, PASSWORD)
        assert refused.status_code == 429
        assert signed_in_user_id(client) is None
        assert AuditEvent.objects.filter(action="sign_in_failed", on_behalf_of=user).count() >= 5

    def test_attempts_with_different_capitals_count_for_the_same_account(self, client):
        user = UserFactory(roles=[Role.HOUSEHOLD])
        for attempt in range(5):
            email = user.email.upper() if attempt % 2 else user.email
            response = sign_in(client, email, "Wrong-password-1!")
        assert response.status_code == 429

    def test_other_accounts_are_not_affected(self, client):
        victim = UserFactory(roles=[Role.HOUSEHOLD])
        other = UserFactory(roles=[Role.HOUSEHOLD])
        for _attempt in range(5):
            sign_in(client, victim.email, "Wrong-password-1!")
        assert sign_in(client, other.email).status_code == 302
        assert signed_in_user_id(client) == str(other.pk)

    def test_the_lock_out_page_is_in_english_when_chosen(self, client):
        user = UserFactory(roles=[Role.HOUSEHOLD])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        for _attempt in range(5):
            response = sign_in(client, user.email, "Wrong-password-1!")
        assert "Sign-in paused for your safety" in response.content.decode()

    def test_a_new_password_from_the_e_mail_link_lifts_the_lock(self, client):
        user = UserFactory(roles=[Role.HOUSEHOLD])
        for _attempt in range(5):
            sign_in(client, user.email, "Wrong-password-1!")
        client.post(reverse("account_reset_password"), {"email": user.email})
        set_url = client.get(reset_link(), follow=True).redirect_chain[-1][0]
        client.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        client.logout()
        assert sign_in(client, user.email, NEW_PASSWORD).status_code == 302


class TestSecondFactor:
    def test_staff_without_totp_are_sent_to_set_it_up(self, client):
        membership = OfficeMembershipFactory()
        client.force_login(membership.user)
        response = client.get(reverse("recruitment:office_home"))
        assert response.status_code == 302
        assert response.url == reverse("mfa_activate_totp")
        # not even the account pages, except what setting up and an emergency need
        assert client.get(reverse("accounts:delegations")).url == reverse("mfa_activate_totp")
        assert client.get(reverse("accounts:report_compromised")).status_code == 200

    @pytest.mark.parametrize("role", [Role.VISA_REVIEW, Role.COMPLAINTS, Role.LICENSING, Role.SUPERVISORS])
    def test_ministry_officers_without_totp_are_sent_to_set_it_up(self, client, role):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("ministry:home")).url == reverse("mfa_activate_totp")

    def test_the_admin_without_totp_is_sent_to_set_it_up(self, client):
        client.force_login(UserFactory(roles=[], is_staff=True, is_superuser=True))
        assert client.get(reverse("admin:index")).url == reverse("mfa_activate_totp")

    def test_a_household_is_not_asked_for_one(self, client):
        client.force_login(UserFactory(roles=[Role.HOUSEHOLD]))
        response = client.get(reverse("accounts:security"))
        assert response.status_code == 200
        assert reverse("mfa_activate_totp") in response.content.decode()  # offered, not forced

    def test_staff_set_it_up_after_signing_in_and_then_get_in(
        self, client, django_capture_on_commit_callbacks
    ):
        membership = OfficeMembershipFactory()
        user = membership.user
        response = sign_in(client, user.email)
        chain = [url for url, _status in client.get(response.url, follow=True).redirect_chain]
        assert reverse("mfa_activate_totp") in chain
        # adding a second factor is sensitive: allauth asks for the password once more first
        reauthenticate = client.get(reverse("mfa_activate_totp"))
        assert reauthenticate.url.startswith(reverse("account_reauthenticate"))
        page = client.post(reauthenticate.url, {"password": PASSWORD}, follow=True)
        assert page.redirect_chain[-1][0] == reverse("mfa_activate_totp")

        page = page.content.decode()
        secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page) or re.search(
            r'value="([A-Z2-7]{32})"', page
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret.group(1))})
        assert response.status_code == 302
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        assert client.get(reverse("recruitment:office_home")).status_code == 200
        assert AuditEvent.objects.filter(action="second_factor_added", on_behalf_of=user).exists()

    def test_sign_in_with_a_code_from_the_authenticator(self, client):
        user = with_totp(UserFactory(roles=[Role.SUPERVISORS]))
        response = sign_in(client, user.email)
        assert response.url == reverse("mfa_authenticate")
        assert signed_in_user_id(client) is None

        wrong_code = "000000" if totp_code() != "000000" else "111111"
        wrong = client.post(reverse("mfa_authenticate"), {"code": wrong_code})
        assert wrong.status_code == 200
        assert signed_in_user_id(client) is None
        assert AuditEvent.objects.filter(action="second_factor_failed", on_behalf_of=user).exists()

        response = client.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})
        assert response.status_code == 302
        assert signed_in_user_id(client) == str(user.pk)
        assert client.get(reverse("ministry:home")).status_code == 200


class TestAdminSignIn:
    def test_admin_login_goes_through_the_platform_sign_in(self, client):
        response = client.get(reverse("admin:index"), follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
        assert "next=%2Fadmin%2F" in response.redirect_chain[-1][0]

    def test_the_admin_signs_in_with_password_and_code(self, client):
        admin = with_totp(UserFactory(roles=[], is_staff=True, is_superuser=True))
        response = client.post(
            reverse("account_login") + "?next=/admin/", {"login": admin.email, "password": PASSWORD}
        )
        assert response.url == reverse("mfa_authenticate")
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
        assert response.url == "/admin/"
        assert client.get("/admin/").status_code == 200

    def test_a_signed_in_household_is_refused_the_admin(self, client):
        client.force_login(UserFactory(roles=[Role.HOUSEHOLD]))
        assert client.get(reverse("admin:index"), follow=True).status_code == 403
