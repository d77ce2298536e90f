import re

import pytest

from households.models import Household
from households.validators import national_id_checksum_ok
from musaned.accounts.roles import Role
from musaned.integrations.models import FakeOutbox
from tests.factories import HouseholdFactory, UserFactory, national_id, with_second_factor

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def sign_in(client, user, language: str | None = None):
    client.force_login(user, backend=LOGIN_BACKEND)
    if language:
        client.cookies["django_language"] = language
    return client


def registration_data(**overrides) -> dict:
    data = {
        "national_id": national_id("1"),
        "nationality": "",
        "name_ar": "محمد عبدالله القحطاني",
        "name_en": "Mohammed Abdullah Alqahtani",
        "date_of_birth_calendar": "gregorian",
        "date_of_birth": "1985-03-14",
        "marital_status": "married",
        "mobile": "050 123 4567",
        "city": "الرياض",
        "building_number": "1234",
        "street": "طريق الملك فهد",
        "district": "العليا",
        "address_city": "الرياض",
        "postal_code": "12211",
        "additional_number": "5678",
    }
    data.update(overrides)
    return data


def profile_data(household: Household, **overrides) -> dict:
    born = household.date_of_birth.isoformat()
    data = registration_data(
        national_id=household.national_id,
        nationality=household.nationality_id or "",
        name_ar=household.name_ar,
        name_en=household.name_en,
        date_of_birth=born,
        marital_status=household.marital_status,
        mobile=household.mobile,
        city=household.city,
        building_number=household.building_number,
        street=household.street,
        district=household.district,
        address_city=household.address_city,
        postal_code=household.postal_code,
        additional_number=household.additional_number,
    )
    data.update(overrides)
    return data


def last_code(mobile: str) -> str:
    """The code in the last SMS carrying one that the fake gateway delivered to `mobile`."""
    for body in (
        FakeOutbox.objects.filter(channel="sms", to=mobile).order_by("-id").values_list("body", flat=True)
    ):
        if match := re.search(r"\b(\d{6})\b", body):
            return match.group(1)
    raise AssertionError(f"no code was sent to {mobile}")


def fresh(household: Household) -> Household:
    """Read again from the database (the identity field cannot be refreshed in place)."""
    return Household.objects.get(pk=household.pk)


@pytest.fixture
def household_user(db):
    return UserFactory(roles=[Role.HOUSEHOLD])


@pytest.fixture
def household(db):
    return HouseholdFactory()


@pytest.fixture
def household_client(client, household):
    return sign_in(client, household.user)


def staff_user(role: str):
    user = UserFactory(roles=[role])
    with_second_factor(user)
    return user


@pytest.fixture
def visa_officer(db):
    return staff_user(Role.VISA_REVIEW)


@pytest.fixture
def complaints_officer(db):
    return staff_user(Role.COMPLAINTS)


@pytest.fixture
def office_user(db):
    return staff_user(Role.OFFICE_STAFF)


def id_starting(prefix: str) -> str:
    """A valid national ID / iqama number beginning with `prefix` (the fake identity service keys on it)."""
    body = prefix + "3" * (9 - len(prefix))
    for check in "0123456789":
        if national_id_checksum_ok(body + check):
            return body + check
    raise AssertionError("unreachable")
