from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from households import eligibility
from households.eligibility import fee_exempt, household_eligibility
from households.models import IdentityStatus, MaritalStatus, ProofKind
from musaned.policy.models import EligibilityTier, RuleSet
from musaned.policy.services import NoRulesInForce
from tests.factories import EmployedWorkerFactory, HouseholdFactory, IncomeProofFactory

pytestmark = pytest.mark.django_db

ON = date(2025, 3, 1)
FRESH = ON - timedelta(days=10)

SECOND_CITIZEN = (
    "Your second visa needs a monthly salary of at least 7,000 SAR or a bank balance of at least 60,000 SAR."
)
THIRD_CITIZEN = (
    "Your third visa needs a monthly salary of at least 25,000 SAR or a bank balance of at least 200,000 SAR."
)
FIRST_CITIZEN = "Your first visa needs a salary certificate or a bank balance of at least 40,000 SAR."
FIRST_RESIDENT = (
    "Your first visa needs a monthly salary of at least 10,000 SAR or a bank balance of at least 100,000 SAR."
)
NO_PROOF = "You have not uploaded an income proof yet: upload a salary certificate or a bank statement."
STALE = "Your income proof is older than 60 days: upload a new one."


def household(*, salary=None, balance=None, kind=ProofKind.SALARY_CERTIFICATE, issued_on=FRESH, **fields):
    """A household with a salary proof when `salary` is given and a bank statement when `balance` is."""
    created = HouseholdFactory(monthly_income=salary, bank_balance=balance, **fields)
    if salary is not None:
        IncomeProofFactory(household=created, kind=kind, issued_on=issued_on)
    if balance is not None:
        IncomeProofFactory(household=created, kind=ProofKind.BANK_STATEMENT, issued_on=issued_on)
    return created


def judge(subject, on=ON):
    with translation.override("en"):
        return household_eligibility(household=subject, on=on)


@pytest.mark.parametrize(
    ("salary", "balance", "allowed"),
    [
        (Decimal("1500"), None, 1),  # the first visa: any proven salary
        (Decimal("6999.99"), None, 1),
        (Decimal("7000"), None, 2),
        (Decimal("24999"), None, 2),
        (Decimal("25000"), None, 3),
        (None, Decimal("39999.99"), 0),
        (None, Decimal("40000"), 1),
        (None, Decimal("60000"), 2),
        (None, Decimal("200000"), 3),
        (Decimal("7000"), Decimal("200000"), 3),  # the third tier passed by the balance
    ],
)
def test_citizen_tiers(salary, balance, allowed):
    result = judge(household(salary=salary, balance=balance))
    assert (result.allowed, result.held, result.available) == (allowed, 0, allowed)
    assert result.rule_set.name == "2024"
    assert result.reasons == ([] if allowed else [FIRST_CITIZEN])


@pytest.mark.parametrize(
    ("salary", "balance", "kind", "allowed"),
    [
        (Decimal("9999"), None, ProofKind.SALARY_CERTIFICATE, 0),
        (Decimal("10000"), None, ProofKind.SALARY_CERTIFICATE, 1),
        (Decimal("10000"), None, ProofKind.SOCIAL_INSURANCE, 1),
        (Decimal("20000"), None, ProofKind.SOCIAL_INSURANCE, 2),
        (None, Decimal("100000"), ProofKind.SALARY_CERTIFICATE, 1),
        (None, Decimal("200000"), ProofKind.SALARY_CERTIFICATE, 2),
    ],
)
def test_resident_tiers(salary, balance, kind, allowed):
    result = judge(household(salary=salary, balance=balance, kind=kind, resident=True))
    assert (result.allowed, result.available) == (allowed, allowed)
    assert result.reasons == ([] if allowed else [FIRST_RESIDENT])


def test_a_social_insurance_certificate_proves_nothing_for_a_citizen():
    result = judge(household(salary=Decimal("30000"), kind=ProofKind.SOCIAL_INSURANCE))
    assert result.allowed == 0
    assert result.reasons == [FIRST_CITIZEN, NO_PROOF]


def test_no_proof_at_all_says_which_documents_to_upload():
    assert judge(household()).reasons == [FIRST_CITIZEN, NO_PROOF]
    resident = judge(household(resident=True))
    assert resident.reasons == [
        FIRST_RESIDENT,
        "You have not uploaded an income proof yet: upload a salary certificate, "
        "a social-insurance certificate or a bank statement.",
    ]


def test_a_proof_counts_for_60_days_only():
    assert judge(household(salary=Decimal("8000"), issued_on=ON - timedelta(days=60))).allowed == 2

    stale = judge(household(salary=Decimal("8000"), issued_on=ON - timedelta(days=61)))
    assert stale.allowed == 0
    assert stale.reasons == [FIRST_CITIZEN, STALE]


def test_held_visas_reduce_what_is_available_and_say_what_the_next_one_needs():
    subject = household(salary=Decimal("8000"))
    EmployedWorkerFactory(household=subject)
    EmployedWorkerFactory(household=subject, ended_on=date(2024, 12, 1))  # left: no longer held

    one_held = judge(subject)
    assert (one_held.allowed, one_held.held, one_held.available, one_held.reasons) == (2, 1, 1, [])

    EmployedWorkerFactory(household=subject)
    two_held = judge(subject)
    assert (two_held.held, two_held.available) == (2, 0)
    assert two_held.reasons == [THIRD_CITIZEN]


def test_first_visa_holder_is_told_the_second_tier():
    subject = household(salary=Decimal("3000"))
    EmployedWorkerFactory(household=subject)
    assert judge(subject).reasons == [SECOND_CITIZEN]


def test_no_more_visas_than_there_are_tiers():
    subject = household(salary=Decimal("50000"), resident=True)
    EmployedWorkerFactory(household=subject)
    EmployedWorkerFactory(household=subject)
    result = judge(subject)
    assert (result.allowed, result.available) == (2, 0)
    assert result.reasons == ["Under the current rules, a resident may hold at most 2 domestic worker visas."]


def test_registered_counters_of_held_visas_are_honoured(monkeypatch):
    subject = household(salary=Decimal("30000"))
    counted = []

    def issued_visas(counted_household):
        counted.append(counted_household)
        return 2

    monkeypatch.setattr(eligibility, "HELD_VISA_COUNTERS", [*eligibility.HELD_VISA_COUNTERS, issued_visas])
    result = judge(subject)
    assert (result.allowed, result.held, result.available) == (3, 2, 1)
    assert counted == [subject]


def test_a_single_applicant_under_the_minimum_age_gets_no_visa():
    young = household(
        salary=Decimal("9000"), marital_status=MaritalStatus.SINGLE, date_of_birth=date(2004, 3, 2)
    )
    result = judge(young)
    assert (result.allowed, result.available) == (2, 0)
    assert result.reasons == ["Single applicants must be at least 21 years old."]

    assert judge(young, on=date(2025, 3, 2)).available == 2  # 21st birthday
    married = household(
        salary=Decimal("9000"), marital_status=MaritalStatus.MARRIED, date_of_birth=date(2006, 1, 1)
    )
    assert judge(married).available == 2


def test_identity_and_mobile_must_be_confirmed_first():
    result = judge(
        household(salary=Decimal("9000"), identity_status=IdentityStatus.PENDING, mobile_verified_at=None)
    )
    assert (result.allowed, result.available) == (2, 0)
    assert result.reasons == [
        "Your identity has not been confirmed yet.",
        "Your mobile number has not been verified yet.",
    ]


def test_every_problem_is_listed_at_once():
    result = judge(household(identity_status=IdentityStatus.PENDING))
    assert result.reasons == ["Your identity has not been confirmed yet.", FIRST_CITIZEN, NO_PROOF]


def test_missing_amount_beside_a_valid_proof_is_pointed_out():
    subject = household(salary=Decimal("1"))
    IncomeProofFactory(household=subject, kind=ProofKind.BANK_STATEMENT, issued_on=FRESH)
    EmployedWorkerFactory(household=subject)
    assert judge(subject).reasons == [
        SECOND_CITIZEN,
        "Enter your bank balance as it appears on your bank statement.",
    ]


def test_the_rules_of_the_day_decide(django_assert_max_num_queries):
    stricter = RuleSet.objects.create(name="2030", effective_from=date(2030, 1, 1))
    EligibilityTier.objects.create(rule_set=stricter, residency="citizen", ordinal=1, min_monthly_salary=5000)
    subject = household(salary=Decimal("4000"), issued_on=date(2029, 12, 20))

    assert judge(subject, on=date(2029, 12, 31)).allowed == 1
    with django_assert_max_num_queries(6):
        later = judge(subject, on=date(2030, 1, 2))
    assert later.rule_set == stricter and later.allowed == 0
    assert later.reasons == ["Your first visa needs a monthly salary of at least 5,000 SAR."]

    with pytest.raises(NoRulesInForce):
        judge(subject, on=date(2023, 6, 1))


def test_reasons_are_translated_sentences():
    subject = household(identity_status=IdentityStatus.PENDING)
    with translation.override("en"):
        english = household_eligibility(household=subject, on=ON).reasons
    with translation.override("ar"):
        arabic = household_eligibility(household=subject, on=ON).reasons
    assert english[0] == "Your identity has not been confirmed yet."
    assert len(arabic) == len(english) and all(type(reason) is str for reason in english + arabic)


def test_registered_disability_exempts_from_the_fee_while_the_rule_says_so():
    rules = RuleSet.objects.get(name="2024")
    assert fee_exempt(household(has_registered_disability=True), rules)
    assert not fee_exempt(household(), rules)
    rules.disability_fee_exempt = False
    assert not fee_exempt(household(has_registered_disability=True), rules)
