"""Verifying the mobile number with a one-time SMS code."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import PhoneVerification
from musaned.accounts.models import AuditEvent
from tests.factories import HouseholdFactory

from .conftest import fresh, last_code, profile_data, sign_in

pytestmark = pytest.mark.django_db

VERIFY = reverse("households:verify_mobile")
RESEND = reverse("households:resend_code")


@pytest.fixture
def unverified(db):
    return HouseholdFactory(mobile_verified_at=None)


@pytest.fixture
def browser(client, unverified):
    return sign_in(client, unverified.user, language="en")


def send_code(browser, capture) -> str:
    with capture(execute=True):
        response = browser.post(RESEND, follow=True)
    assert response.status_code == 200
    return last_code(response.context["household"].mobile)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def travel(monkeypatch, delta: dt.timedelta) -> None:
    """Move the clock: every `timezone.now()` from here on answers `delta` later."""
    later = timezone.now() + delta
    monkeypatch.setattr(timezone, "now", lambda: later)


def test_the_right_code_verifies_the_number(browser, unverified, django_capture_on_commit_callbacks):
    code = send_code(browser, django_capture_on_commit_callbacks)
    verification = PhoneVerification.objects.get(household=unverified)
    assert code not in verification.code_hash  # only a keyed hash is kept
    lifetime = verification.expires_at - verification.created_at
    assert abs(lifetime - dt.timedelta(minutes=5)) < dt.timedelta(seconds=1)

    response = browser.post(VERIFY, {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("households:dashboard")
    assert "Thank you: your mobile number is verified." in response.content.decode()
    assert fresh(unverified).mobile_verified_at is not None
    assert AuditEvent.objects.filter(action="household.mobile_verified", actor=unverified.user).exists()
    assert not any(code in str(event.changes) for event in AuditEvent.objects.all())


def test_the_code_may_be_typed_with_arabic_digits(client, unverified, django_capture_on_commit_callbacks):
    sign_in(client, unverified.user)
    code = send_code(client, django_capture_on_commit_callbacks)
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = client.post(VERIFY, {"code": arabic})
    assert response.status_code == 302
    assert fresh(unverified).mobile_verified_at is not None


def test_a_wrong_code_is_refused_and_counted(browser, unverified, django_capture_on_commit_callbacks):
    code = send_code(browser, django_capture_on_commit_callbacks)
    response = browser.post(VERIFY, {"code": other_code(code)})
    assert response.status_code == 200
    assert "That code is not right." in response.content.decode()
    assert PhoneVerification.objects.get(household=unverified).attempts == 1
    assert fresh(unverified).mobile_verified_at is None


def test_a_code_expires_after_five_minutes(
    browser, unverified, monkeypatch, django_capture_on_commit_callbacks
):
    code = send_code(browser, django_capture_on_commit_callbacks)
    travel(monkeypatch, dt.timedelta(minutes=5, seconds=1))
    response = browser.post(VERIFY, {"code": code})
    assert "This code has expired. Ask for a new code." in response.content.decode()
    assert fresh(unverified).mobile_verified_at is None


def test_five_wrong_tries_use_up_the_code(browser, unverified, django_capture_on_commit_callbacks):
    code = send_code(browser, django_capture_on_commit_callbacks)
    for _ in range(4):
        assert "That code is not right." in browser.post(VERIFY, {"code": other_code(code)}).content.decode()
    fifth = browser.post(VERIFY, {"code": other_code(code)})
    assert "Too many wrong tries for this code. Ask for a new code." in fifth.content.decode()
    # even the right code no longer works
    response = browser.post(VERIFY, {"code": code})
    assert "Too many wrong tries for this code." in response.content.decode()
    assert fresh(unverified).mobile_verified_at is None

    new_code = send_code(browser, django_capture_on_commit_callbacks)
    assert browser.post(VERIFY, {"code": new_code}).status_code == 302
    assert fresh(unverified).mobile_verified_at is not None


def test_only_the_latest_code_counts(browser, unverified, django_capture_on_commit_callbacks):
    first = send_code(browser, django_capture_on_commit_callbacks)
    second = send_code(browser, django_capture_on_commit_callbacks)
    if first != second:
        assert "That code is not right." in browser.post(VERIFY, {"code": first}).content.decode()
    assert browser.post(VERIFY, {"code": second}).status_code == 302


def test_three_codes_per_quarter_hour_then_wait(
    browser, unverified, monkeypatch, django_capture_on_commit_callbacks
):
    for _ in range(3):
        send_code(browser, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(RESEND, follow=True)
    content = response.content.decode()
    assert "You have asked for several codes. Please wait 15 minutes and try again." in content
    assert "You can ask for a new code in 15 minutes." in content
    assert PhoneVerification.objects.filter(household=unverified).count() == 3

    travel(monkeypatch, dt.timedelta(minutes=14))
    response = browser.post(RESEND, follow=True)
    assert "Please wait 1 minute and try again." in response.content.decode()

    travel(monkeypatch, dt.timedelta(minutes=1, seconds=1))
    send_code(browser, django_capture_on_commit_callbacks)
    assert PhoneVerification.objects.filter(household=unverified).count() == 4


def test_a_new_mobile_number_must_be_verified_again(household, client, django_capture_on_commit_callbacks):
    sign_in(client, household.user, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("households:profile"), profile_data(household, mobile="0559876543"))
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    changed = fresh(household)
    assert changed.mobile == "+966559876543"
    assert changed.mobile_verified_at is None

    code = last_code("+966559876543")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    assert fresh(household).mobile_verified_at is not None


def test_a_code_sent_to_the_old_number_does_not_verify_the_new_one(
    browser, unverified, django_capture_on_commit_callbacks
):
    old_code = send_code(browser, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("households:profile"), profile_data(unverified, mobile="0559876543"))
    response = browser.post(VERIFY, {"code": old_code})
    if old_code != last_code("+966559876543"):
        assert response.status_code == 200
        assert fresh(unverified).mobile_verified_at is None


def test_a_verified_number_needs_no_code(household, client):
    sign_in(client, household.user, language="en")
    response = client.post(RESEND, follow=True)
    assert "Your mobile number is already verified." in response.content.decode()
    assert not PhoneVerification.objects.exists()
