"""factory_boy factories shared by the whole suite."""

import datetime as dt
import hashlib
import random

import factory
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from households.models import EmployedWorker, Household, IdentityStatus, IncomeProof, MaritalStatus, ProofKind
from musaned.accounts.models import User
from musaned.accounts.roles import Role
from musaned.policy.models import Country, Occupation, Residency

PASSWORD = "Strong-pass-2026!"
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def national_id(first_digit: str = "1", rng: random.Random | None = None) -> str:
    """A valid 10-digit national ID / iqama number (Luhn-style check digit)."""
    rng = rng or random
    body = first_digit + "".join(str(rng.randint(0, 9)) for _ in range(8))
    if body[1:5] in ("0000", "0001"):  # the fake identity service treats these as unknown / mismatched
        body = body[0] + "5" + body[2:]
    for check in range(10):
        candidate = body + str(check)
        total = 0
        for position, char in enumerate(candidate, start=1):
            digit = int(char) * (2 if position % 2 else 1)
            total += digit // 10 + digit % 10
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.sa")
    first_name = "Test"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.groups.add(Group.objects.get(name=role))
        if create:
            self.save()
        if create and extracted is not None:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


def with_second_factor(user: User) -> User:
    """Staff and admins must have set up a second factor before any page opens for them."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "unused-in-tests"})
    return user


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    user = factory.SubFactory(UserFactory, roles=[Role.HOUSEHOLD])
    national_id = factory.LazyFunction(national_id)
    residency = Residency.CITIZEN
    name_ar = "محمد عبدالله القحطاني"
    name_en = "Mohammed Abdullah Alqahtani"
    date_of_birth = dt.date(1985, 3, 14)
    marital_status = MaritalStatus.MARRIED
    mobile = factory.Sequence(lambda n: f"+96655{n % 10_000_000:07d}")
    mobile_verified_at = factory.LazyFunction(timezone.now)
    city = "الرياض"
    building_number = "1234"
    street = "طريق الملك فهد"
    district = "العليا"
    address_city = "الرياض"
    postal_code = "12211"
    additional_number = "5678"
    monthly_income = 12000
    identity_status = IdentityStatus.CONFIRMED

    class Params:
        resident = factory.Trait(
            residency=Residency.RESIDENT, national_id=factory.LazyFunction(lambda: national_id("2"))
        )


class IncomeProofFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncomeProof

    household = factory.SubFactory(HouseholdFactory)
    kind = ProofKind.SALARY_CERTIFICATE
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=5))
    file = factory.LazyFunction(lambda: ContentFile(MINIMAL_PDF, name="proof.pdf"))
    original_name = "proof.pdf"
    content_type = "application/pdf"
    size = len(MINIMAL_PDF)
    sha256 = hashlib.sha256(MINIMAL_PDF).hexdigest()
    uploaded_by = factory.LazyAttribute(lambda proof: proof.household.user)


class EmployedWorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmployedWorker

    household = factory.SubFactory(HouseholdFactory)
    name = "Maria Santos"
    nationality = factory.LazyFunction(
        lambda: Country.objects.get_or_create(
            code="PH", defaults={"name_ar": "الفلبين", "name_en": "Philippines"}
        )[0]
    )
    occupation = factory.LazyFunction(
        lambda: Occupation.objects.get_or_create(
            code="housemaid", defaults={"name_ar": "عاملة منزلية", "name_en": "Housemaid"}
        )[0]
    )
    employed_since = dt.date(2024, 1, 10)


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "recruitment.Office"

    name_ar = factory.Sequence(lambda n: f"مكتب الاستقدام {n}")
    name_en = factory.Sequence(lambda n: f"Recruitment Office {n}")
    cr_number = factory.Sequence(lambda n: f"{1010000000 + n}")
    licence_number = factory.Sequence(lambda n: f"RL-{n:05d}")
    licence_valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    bank_guarantee_amount = 500000
    city = "الرياض"
    phone = "+966112345678"
    email = factory.Sequence(lambda n: f"office{n}@example.sa")
    cr_valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    cr_checked_at = factory.LazyFunction(timezone.now)


class OfficeMembershipFactory(factory.django.DjangoModelFactory):
    """A manager by default; pass role="staff" (and a user with the office_staff role) for staff."""

    class Meta:
        model = "recruitment.OfficeMembership"

    office = factory.SubFactory(OfficeFactory)
    user = factory.SubFactory(UserFactory, roles=[Role.OFFICE_MANAGER])
    role = "manager"


# --- offices: price lists, worker CVs, sanctions ---------------------------------------------------


def _seeded_country(code: str = "PH") -> Country:
    return Country.objects.get(code=code)


def _seeded_occupation(code: str = "housemaid") -> Occupation:
    return Occupation.objects.get(code=code)


class PriceListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "recruitment.PriceListEntry"

    office = factory.SubFactory(OfficeFactory)
    nationality = factory.LazyFunction(_seeded_country)
    occupation = factory.LazyFunction(_seeded_occupation)
    price = 12000
    delivery_days = 60


class WorkerCVFactory(factory.django.DjangoModelFactory):
    """An available CV within the 2024 rules: passport valid for years, salary at the Philippine minimum."""

    class Meta:
        model = "recruitment.WorkerCV"

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"Maria Cruz {n}")
    nationality = factory.LazyFunction(_seeded_country)
    occupation = factory.LazyFunction(_seeded_occupation)
    gender = "female"
    date_of_birth = dt.date(1994, 6, 15)
    religion = "christian"
    marital_status = "single"
    languages = "English, Tagalog"
    experience_years = 3
    passport_number = factory.Sequence(lambda n: f"P{n:07d}A")
    passport_expiry = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=5 * 365))
    monthly_salary = 1500
    language = "tl"


class SanctionFactory(factory.django.DjangoModelFactory):
    """A suspension in force from today, with no end."""

    class Meta:
        model = "recruitment.Sanction"

    office = factory.SubFactory(OfficeFactory)
    kind = "suspension"
    reason = "Did not answer complaints."
    starts_on = factory.LazyFunction(timezone.localdate)
    decided_by = factory.SubFactory(UserFactory, roles=[Role.LICENSING])
