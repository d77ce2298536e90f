"""Completing the registration after sign-up: one form, all or nothing, in Arabic and in English."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from households.models import Household, IdentityStatus, PhoneVerification
from musaned.accounts.models import AuditEvent
from musaned.policy.models import Country, Residency
from tests.factories import MINIMAL_PDF, HouseholdFactory, national_id

from .conftest import fresh, last_code, registration_data, sign_in

pytestmark = pytest.mark.django_db

REGISTER = reverse("households:register")


def test_a_household_without_a_file_is_sent_to_complete_its_registration(client, household_user):
    sign_in(client, household_user)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == REGISTER
    assert response["Content-Language"] == "ar"
    assert '<html lang="ar" dir="rtl">' in response.content.decode()
    assert 'name="national_id"' in response.content.decode()


def test_registration_in_arabic_creates_the_file_confirms_identity_and_sends_a_code(
    client, household_user, django_capture_on_commit_callbacks
):
    sign_in(client, household_user)
    data = registration_data()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("households:verify_mobile")

    household = Household.objects.get(user=household_user)
    assert household.national_id == data["national_id"]
    assert household.residency == Residency.CITIZEN
    assert household.nationality is None
    assert household.mobile == "+966501234567"
    assert household.date_of_birth == dt.date(1985, 3, 14)
    assert household.mobile_verified_at is None
    # the identity service (fake) knows this person: confirmed in the background
    assert household.identity_status == IdentityStatus.CONFIRMED
    assert PhoneVerification.objects.filter(household=household).count() == 1
    assert len(last_code(household.mobile)) == 6

    page = client.get(reverse("households:verify_mobile"))
    assert page["Content-Language"] == "ar"
    assert "+966501234567" in page.content.decode()


def test_registration_in_english_with_a_hijri_date_of_birth_and_a_resident_nationality(
    client, household_user, django_capture_on_commit_callbacks
):
    sign_in(client, household_user, language="en")
    page = client.get(REGISTER)
    assert page["Content-Language"] == "en"
    assert "Complete your registration" in page.content.decode()

    philippines = Country.objects.get(code="PH")
    data = registration_data(
        national_id=national_id("2"),
        nationality=philippines.pk,
        date_of_birth_calendar="hijri",
        date_of_birth="٢٣/٠٦/١٤٠٥",  # 23/06/1405 AH, in Arabic-Indic digits
        mobile="+966 55 555 1234",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, data)
    assert response.status_code == 302
    household = Household.objects.get(user=household_user)
    assert household.residency == Residency.RESIDENT
    assert household.nationality == philippines
    assert household.date_of_birth == dt.date(1985, 3, 14)
    assert household.mobile == "+966555551234"


def test_the_registered_disability_box_is_kept_until_the_identity_service_answers(
    client, household_user, django_capture_on_commit_callbacks
):
    sign_in(client, household_user)
    with django_capture_on_commit_callbacks(execute=False):  # identity check not run
        client.post(REGISTER, registration_data(has_registered_disability="on"))
    household = Household.objects.get(user=household_user)
    assert household.has_registered_disability
    assert household.identity_status == IdentityStatus.PENDING


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("national_id", "12345", "A national ID or iqama number has exactly 10 digits."),
        (
            "national_id",
            "3000000008",
            "A national ID starts with 1 (citizen) and an iqama number with 2 (resident).",
        ),
        (
            "national_id",
            "1234567890",
            "This national ID or iqama number is not valid: please check the digits.",
        ),
        ("name_ar", "Mohammed Alqahtani", "Write the name in Arabic letters only."),
        ("name_en", "محمد القحطاني", "Write the name in Latin letters only, as in your passport."),
        ("mobile", "0123", "Enter a Saudi mobile number such as 05X XXX XXXX."),
        ("building_number", "12A4", "The building number has 4 digits."),
        ("postal_code", "1221", "The postal code has 5 digits."),
        ("additional_number", "567", "The additional number has 4 digits."),
        ("date_of_birth", "2099-01-01", "The date of birth cannot be in the future."),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(client, household_user, field, value, message):
    sign_in(client, household_user, language="en")
    response = client.post(REGISTER, registration_data(**{field: value}))
    assert response.status_code == 200
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert "Nothing has been saved yet." in response.content.decode()
    assert not Household.objects.exists()
    assert not PhoneVerification.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="household.").exists()


def test_a_wrong_check_digit_is_refused_in_arabic(client, household_user):
    sign_in(client, household_user)
    good = national_id("1")
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    response = client.post(REGISTER, registration_data(national_id=wrong))
    assert response.status_code == 200
    assert response["Content-Language"] == "ar"
    assert not Household.objects.exists()


def test_residents_must_give_their_nationality(client, household_user):
    sign_in(client, household_user, language="en")
    response = client.post(REGISTER, registration_data(national_id=national_id("2")))
    assert "Residents must choose their nationality." in response.content.decode()
    assert not Household.objects.exists()


def test_one_account_per_national_id(client, household_user):
    existing = HouseholdFactory()
    sign_in(client, household_user, language="en")
    response = client.post(REGISTER, registration_data(national_id=existing.national_id))
    assert response.status_code == 200
    assert (
        "An account is already registered with this national ID or iqama number." in response.content.decode()
    )
    assert Household.objects.count() == 1
    assert not Household.objects.filter(user=household_user).exists()


def test_an_account_with_a_file_is_sent_to_its_dashboard(client, household):
    sign_in(client, household.user)
    response = client.get(REGISTER)
    assert response.status_code == 302
    assert response["Location"] == reverse("households:dashboard")
    before = fresh(household).national_id
    client.post(REGISTER, registration_data())
    assert Household.objects.count() == 1
    assert fresh(household).national_id == before


def test_only_household_accounts_register(client, office_user):
    sign_in(client, office_user)
    assert client.get(REGISTER).status_code == 403
    assert client.post(REGISTER, registration_data()).status_code == 403
    assert not Household.objects.exists()


def test_visitors_are_asked_to_sign_in(client, db):
    response = client.get(REGISTER)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_whole_journey_in_arabic(client, household_user, django_capture_on_commit_callbacks):
    """Register, verify the mobile, add family, income and a proof, then read it all in the history."""
    sign_in(client, household_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REGISTER, registration_data())
    household = Household.objects.get(user=household_user)
    response = client.post(reverse("households:verify_mobile"), {"code": last_code(household.mobile)})
    assert response.status_code == 302
    client.post(
        reverse("households:member_add"),
        {
            "name": "نورة",
            "relation": "spouse",
            "date_of_birth_calendar": "gregorian",
            "date_of_birth": "1988-02-01",
        },
    )
    client.post(reverse("households:income"), {"monthly_income": "9000", "bank_balance": "45000"})
    client.post(
        reverse("households:proof_upload"),
        {
            "kind": "bank_statement",
            "issued_on_calendar": "gregorian",
            "issued_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
            "file": SimpleUploadedFile("كشف.pdf", MINIMAL_PDF),
        },
    )
    household = fresh(household)
    assert household.mobile_verified_at is not None
    assert household.members.get().name == "نورة"
    assert household.income_proofs.get().original_name == "كشف.pdf"

    dashboard = client.get(reverse("households:dashboard"))
    assert dashboard["Content-Language"] == "ar"
    history = client.get(reverse("households:history"))
    assert history["Content-Language"] == "ar"
    page = history.content.decode()
    assert "نورة" in page and "كشف.pdf" in page and "45000" in page
    assert (
        page.count('<section class="card">') >= 7
    )  # registered, code, verified, identity, member, income, proof
