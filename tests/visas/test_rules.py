"""Each review rule on real applications: what passes, what goes to an officer, what is rejected."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from households.models import ProofKind
from musaned.policy.models import RuleSet
from musaned.policy.services import rules_in_force
from tests.factories import EmployedWorkerFactory, HouseholdFactory, IncomeProofFactory
from visas import rules
from visas.models import FindingVerdict, RejectionReason, ReviewFinding, Visa

from .visa_domain import country, fresh, occupation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_pdfs")]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def stated(apply, household, amount: str) -> Visa:
    return fresh(apply(household, stated_income=Decimal(amount)))


def test_the_visa_being_reviewed_does_not_count_against_its_own_tier(household, apply):
    visa = fresh(apply(household))
    apply(household)  # the second and last visa this household's proofs allow

    finding = rules.check_eligibility(visa)

    assert finding.verdict == FindingVerdict.PASS
    assert finding.params == {"allowed": 2, "held": 1}


def test_an_application_beyond_the_tier_is_rejected_with_the_reasons(household, apply):
    visa = fresh(apply(household))
    EmployedWorkerFactory(household=household)
    EmployedWorkerFactory(household=household)

    finding = rules.check_eligibility(visa)

    assert (finding.verdict, finding.reason) == (FindingVerdict.REJECT, RejectionReason.NOT_ELIGIBLE)
    assert finding.params["held"] == 2 and finding.params["reasons"]


@pytest.mark.parametrize(
    ("amount", "verdict"),
    [
        ("12000", FindingVerdict.PASS),
        ("13200", FindingVerdict.PASS),
        ("13200.01", FindingVerdict.REFER),
        ("10799.99", FindingVerdict.REFER),
    ],
)
def test_the_stated_salary_may_differ_from_the_declared_income_by_ten_percent(
    household, apply, amount, verdict
):
    finding = rules.check_income_match(stated(apply, household, amount))

    assert finding.verdict == verdict
    assert finding.params == {"stated": f"{Decimal(amount):.2f}", "declared": "12000.00", "tolerance": "0.10"}


def test_without_a_declared_income_the_salary_is_checked_by_an_officer(apply):
    household = HouseholdFactory(monthly_income=None, bank_balance=Decimal("45000"))
    IncomeProofFactory(household=household, kind=ProofKind.BANK_STATEMENT)

    assert rules.check_income_match(stated(apply, household, "9000")).verdict == FindingVerdict.REFER


def test_a_bank_statement_alone_is_checked_by_an_officer(apply):
    household = HouseholdFactory(bank_balance=Decimal("45000"))
    IncomeProofFactory(household=household, kind=ProofKind.BANK_STATEMENT)
    visa = fresh(apply(household))

    finding = rules.check_income_proof(visa)
    assert (finding.verdict, finding.params["kind"]) == (FindingVerdict.REFER, ProofKind.BANK_STATEMENT)

    # A salary certificate read by the rules is enough, and so is a social-insurance one for a resident.
    IncomeProofFactory(household=household, kind=ProofKind.SALARY_CERTIFICATE)
    assert rules.check_income_proof(visa).verdict == FindingVerdict.PASS
    resident = HouseholdFactory(resident=True, nationality=country("EG"), monthly_income=15000)
    IncomeProofFactory(household=resident, kind=ProofKind.SOCIAL_INSURANCE)
    assert rules.check_income_proof(fresh(apply(resident))).verdict == FindingVerdict.PASS


def test_a_salary_certificate_older_than_the_rules_allow_does_not_count(apply):
    household = HouseholdFactory(bank_balance=Decimal("45000"))
    IncomeProofFactory(household=household, kind=ProofKind.BANK_STATEMENT)
    visa = fresh(apply(household))
    IncomeProofFactory(household=household, issued_on=timezone.localdate() - dt.timedelta(days=61))

    assert rules.check_income_proof(visa).verdict == FindingVerdict.REFER


def test_an_occupation_needing_a_medical_report_goes_to_an_officer(household, apply):
    nurse = fresh(apply(household, occupation=occupation("home_nurse")))
    maid = fresh(apply(household))

    assert rules.check_medical_report(nurse).verdict == FindingVerdict.REFER
    assert rules.check_medical_report(maid).verdict == FindingVerdict.PASS


def test_a_resident_recruiting_a_compatriot_is_rejected_unless_the_rules_allow_it(apply):
    household = HouseholdFactory(resident=True, nationality=country("EG"), monthly_income=15000)
    IncomeProofFactory(household=household)
    visa = fresh(apply(household))
    Visa.objects.filter(pk=visa.pk).update(
        nationality=country("EG")
    )  # as if the household's nationality changed

    finding = rules.check_compatriot(fresh(visa))
    assert (finding.verdict, finding.reason) == (FindingVerdict.REJECT, RejectionReason.COMPATRIOT)

    lenient = RuleSet.objects.create(
        name="lenient", effective_from=dt.date(2023, 6, 1), resident_may_recruit_compatriot=True
    )
    Visa.objects.filter(pk=visa.pk).update(rule_set=lenient)
    assert rules.check_compatriot(fresh(visa)).verdict == FindingVerdict.PASS
    assert rules_in_force(on=timezone.localdate()).name == "2024"  # the lenient set is older: not in force


def test_a_rejection_outweighs_a_referral_which_outweighs_approval():
    passed = rules.Finding("a", FindingVerdict.PASS)
    referred = rules.Finding("b", FindingVerdict.REFER)
    rejected = rules.Finding("c", FindingVerdict.REJECT, reason=RejectionReason.COMPATRIOT)

    assert rules.outcome([passed, passed]) == rules.APPROVE
    assert rules.outcome([passed, referred]) == rules.REFER
    assert rules.outcome([referred, rejected, passed]) == rules.REJECT
    assert rules.first_rejection([referred, rejected]) is rejected


def described(visa: Visa, finding: rules.Finding) -> str:
    return rules.describe(
        ReviewFinding(visa=visa, rule=finding.rule, verdict=finding.verdict, params=finding.params)
    )


def test_findings_read_as_sentences_with_their_figures(household, apply):
    visa = stated(apply, household, "15000")
    income = rules.check_income_match(visa)

    text = described(visa, income)

    assert "15,000 SAR" in text and "12,000 SAR" in text and "10%" in text
    assert "Salary certificate" in described(visa, rules.check_income_proof(visa))
    assert "Home nurse" in described(
        fresh(apply(household, occupation=occupation("home_nurse"))),
        rules.Finding("medical_report", FindingVerdict.REFER, {"needed": True}),
    )
    with translation.override("ar"):
        assert "15,000" in described(visa, income)
