"""Identity confirmation through the (fake) identity service, in the background."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Household, IdentityStatus
from households.services import identity_record_answer
from households.tasks import confirm_identity, recheck_pending_identities
from musaned.accounts.models import AuditEvent
from musaned.integrations.interfaces import IdentityRecord
from musaned.integrations.models import GatewayCall
from musaned.integrations.tasks import GatewayTask
from musaned.notifications.models import Notification
from tests.factories import HouseholdFactory

from .conftest import fresh, id_starting, profile_data, registration_data, sign_in

pytestmark = pytest.mark.django_db

REGISTER = reverse("households:register")
DASHBOARD = reverse("households:dashboard")
WAITING = "We are waiting for the identity service; nothing for you to do."


def register(client, capture, **overrides) -> Household:
    with capture(execute=True):
        response = client.post(REGISTER, registration_data(**overrides))
    assert response.status_code == 302, response.content.decode()
    return Household.objects.get(user=response.wsgi_request.user)


def identity_calls(outcome: str | None = None) -> int:
    calls = GatewayCall.objects.filter(gateway="identity")
    return (calls.filter(outcome=outcome) if outcome else calls).count()


def test_a_known_person_is_confirmed_and_told_so(client, household_user, django_capture_on_commit_callbacks):
    sign_in(client, household_user, language="en")
    household = register(client, django_capture_on_commit_callbacks)
    assert household.identity_status == IdentityStatus.CONFIRMED
    assert household.identity_checked_at is not None
    assert Notification.objects.filter(recipient=household_user, event="identity_confirmed").exists()
    event = AuditEvent.objects.get(action="household.identity_confirmed")
    assert (event.actor, event.from_state, event.to_state) == (None, "pending", "confirmed")

    page = client.get(DASHBOARD).content.decode()
    assert "Confirmed" in page
    assert "Your identity has not been confirmed yet." not in page


def test_the_registered_disability_comes_from_the_identity_service(
    client, household_user, django_capture_on_commit_callbacks
):
    sign_in(client, household_user)
    household = register(
        client,
        django_capture_on_commit_callbacks,
        national_id=id_starting("144449"),
        has_registered_disability="",
    )
    assert household.identity_confirmed
    assert household.has_registered_disability  # the sixth digit 9 means so, for the fake service


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("10000", "The identity service has no record of this national ID or iqama number."),
        ("10001", "The date of birth does not match the identity service&#x27;s record."),
    ],
)
def test_an_unknown_or_mismatched_person_is_rejected_with_a_plain_reason(
    client, household_user, django_capture_on_commit_callbacks, prefix, reason
):
    household_user.preferred_language = "en"  # notifications follow the person's chosen language
    household_user.save(update_fields=["preferred_language"])
    sign_in(client, household_user, language="en")
    household = register(client, django_capture_on_commit_callbacks, national_id=id_starting(prefix))
    assert household.identity_status == IdentityStatus.REJECTED
    notification = Notification.objects.get(recipient=household_user, event="identity_rejected")
    assert reason.replace("&#x27;", "'") in notification.body

    page = client.get(DASHBOARD).content.decode()
    assert "Not confirmed" in page
    assert reason in page
    assert "You cannot apply for a visa yet" in page
    assert "Your identity has not been confirmed yet." in page


def test_correcting_a_rejected_id_asks_the_identity_service_again(
    client, household_user, django_capture_on_commit_callbacks
):
    sign_in(client, household_user, language="en")
    household = register(client, django_capture_on_commit_callbacks, national_id=id_starting("10000"))
    assert household.identity_status == IdentityStatus.REJECTED

    corrected = id_starting("15555")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("households:profile"), profile_data(household, national_id=corrected))
    assert response.status_code == 302
    household = fresh(household)
    assert household.national_id == corrected
    assert household.identity_status == IdentityStatus.CONFIRMED
    assert household.identity_problem == ""


@pytest.mark.parametrize("failure", ["timeout", "error", "malformed"])
def test_an_identity_service_outage_leaves_the_household_pending_while_the_task_retries(
    client, household_user, settings, monkeypatch, django_capture_on_commit_callbacks, failure
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"identity": failure}
    sign_in(client, household_user, language="en")
    household = register(client, django_capture_on_commit_callbacks)

    assert household.identity_status == IdentityStatus.PENDING
    # run in-process, each retry follows at once: the first try and every retry reached the service
    assert identity_calls(failure) == 1 + GatewayTask.max_retries
    assert not Notification.objects.filter(event__startswith="identity_").exists()
    page = client.get(DASHBOARD).content.decode()
    assert WAITING in page
    assert "Your identity has not been confirmed yet." in page

    # the service is back: the hourly sweep picks the household up and confirms it
    settings.INTEGRATIONS_FAKE_FAILURES = {}
    assert recheck_pending_identities() == 0  # not an hour yet
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert recheck_pending_identities() == 1
    assert fresh(household).identity_status == IdentityStatus.CONFIRMED


def test_a_confirmed_household_is_left_alone(household):
    before = identity_calls()
    confirm_identity.delay(household.pk)
    assert identity_calls() == before
    assert fresh(household).identity_status == IdentityStatus.CONFIRMED
    assert not AuditEvent.objects.filter(action__startswith="household.identity").exists()


def test_an_answer_about_facts_since_changed_is_ignored(db):
    household = HouseholdFactory(identity_status=IdentityStatus.PENDING)
    identity_record_answer(
        household_id=household.pk,
        national_id=household.national_id,
        date_of_birth=household.date_of_birth - dt.timedelta(days=1),
        record=IdentityRecord(found=False),
    )
    assert fresh(household).identity_status == IdentityStatus.PENDING


def test_a_new_date_of_birth_reopens_identity_confirmation(
    household, client, settings, django_capture_on_commit_callbacks
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"identity": "timeout"}
    sign_in(client, household.user, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("households:profile"), profile_data(household, date_of_birth="1986-04-02")
        )
    assert response.status_code == 302
    changed = fresh(household)
    assert changed.date_of_birth == dt.date(1986, 4, 2)
    assert changed.identity_status == IdentityStatus.PENDING
    event = AuditEvent.objects.get(action="household.profile_updated")
    assert (event.from_state, event.to_state) == ("confirmed", "pending")
    assert event.changes["date_of_birth"] == ["1985-03-14", "1986-04-02"]
    assert WAITING in client.get(DASHBOARD).content.decode()


def test_a_confirmed_national_id_cannot_be_changed(household, client, django_capture_on_commit_callbacks):
    sign_in(client, household.user, language="en")
    page = client.get(reverse("households:profile")).content.decode()
    assert "Confirmed by the identity service: it can no longer be changed." in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("households:profile"), profile_data(household, national_id=id_starting("15555")))
    assert fresh(household).national_id == household.national_id
    assert fresh(household).identity_status == IdentityStatus.CONFIRMED
