from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent, Delegation, DelegationScope
from musaned.policy.models import Country, CountryRule, EligibilityTier, Occupation, RuleSet
from musaned.policy.money import format_amount
from musaned.policy.services import NoRulesInForce, rule_set_copy, rules_in_force
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEEDED_START = date(2024, 1, 1)


def seeded() -> RuleSet:
    return RuleSet.objects.get(effective_from=SEEDED_START)


def test_seed_has_the_published_reference_data():
    assert Country.objects.count() == 33
    philippines = Country.objects.get(code="PH")
    assert (philippines.name_en, philippines.name_ar, philippines.worker_language) == (
        "Philippines",
        "الفلبين",
        "tl",
    )
    assert Country.objects.get(code="ET").worker_language == "am"

    assert Occupation.objects.count() == 18
    nurse = Occupation.objects.get(code="home_nurse")
    assert nurse.requires_medical_report and nurse.name_ar == "ممرض منزلي"
    assert Occupation.objects.get(code="speech_specialist").added_in == 2023
    assert Occupation.objects.get(code="housemaid").added_in is None


def test_seeded_2024_rule_set_has_the_tiers_fees_and_ceilings():
    rules = rules_in_force(on=date(2024, 6, 1))
    assert (rules.name, rules.min_applicant_age, rules.visa_validity_days) == ("2024", 21, 730)
    assert (rules.visa_fee, rules.eservice_fee, rules.vat_rate) == (
        Decimal("2000"),
        Decimal("172.50"),
        Decimal("0.15"),
    )
    tiers = {(t.residency, t.ordinal): (t.min_monthly_salary, t.min_balance) for t in rules.tiers.all()}
    assert tiers == {
        ("citizen", 1): (0, 40_000),
        ("citizen", 2): (7_000, 60_000),
        ("citizen", 3): (25_000, 200_000),
        ("resident", 1): (10_000, 100_000),
        ("resident", 2): (20_000, 200_000),
    }
    ceilings = {
        rule.country.code: rule.price_ceiling for rule in rules.country_rules.all() if rule.price_ceiling
    }
    assert ceilings == {"PH": 14_700, "LK": 13_800, "BD": 11_750, "KE": 9_000, "UG": 8_300, "ET": 5_900}
    assert rules.rule_for_country(Country.objects.get(code="PH")).min_monthly_wage == 1_500
    assert rules.rule_for_country(Country.objects.get(code="VN")).delivery_days == 90


def test_rules_in_force_picks_the_latest_start_on_or_before_the_day(django_assert_num_queries):
    later = RuleSet.objects.create(name="2030", effective_from=date(2030, 1, 1), visa_fee=Decimal("2500"))
    latest = RuleSet.objects.create(name="2032", effective_from=date(2032, 7, 1))

    assert rules_in_force(on=date(2024, 1, 1)) == seeded()
    assert rules_in_force(on=date(2029, 12, 31)) == seeded()
    assert rules_in_force(on=date(2030, 1, 1)) == later
    assert rules_in_force(on=date(2032, 6, 30)) == later
    assert rules_in_force(on=date(2040, 1, 1)) == latest

    with django_assert_num_queries(3):  # the set, its tiers, its country rules with their countries
        rules = rules_in_force(on=date(2024, 2, 1))
        assert len(rules.tiers_for("citizen")) == 3
        assert [rule.country.code for rule in rules.country_rules.all() if rule.country.code == "PH"] == [
            "PH"
        ]


def test_no_rules_before_the_first_rule_set():
    with pytest.raises(NoRulesInForce) as raised:
        rules_in_force(on=date(2023, 12, 31))
    assert "2023-12-31" in str(raised.value)


def test_a_started_rule_set_cannot_change_its_figures():
    rules = seeded()
    rules.visa_fee = Decimal("1")
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        rules.full_clean()
    assert "Copy it to a new date instead" in str(raised.value)

    rules.refresh_from_db()
    rules.effective_from = date(2024, 2, 1)
    with pytest.raises(ValidationError):
        rules.full_clean()


def test_a_started_rule_set_may_still_be_renamed_and_annotated():
    rules = seeded()
    rules.name = "Rules of 2024"
    rules.notes = "Ministerial decision, as published."
    rules.full_clean()


def test_tiers_and_country_rules_of_a_started_set_are_frozen():
    rules = seeded()
    tier = rules.tiers.get(residency="citizen", ordinal=2)
    tier.min_monthly_salary = Decimal("5000")
    with pytest.raises(ValidationError):
        tier.full_clean()
    extra = CountryRule(rule_set=rules, country=Country.objects.create(code="ZZ", name_en="Z", name_ar="ز"))
    with pytest.raises(ValidationError):
        extra.full_clean()


def test_a_future_rule_set_is_editable_until_it_starts():
    future = RuleSet.objects.create(name="Next", effective_from=timezone.localdate() + timedelta(days=10))
    future.visa_fee = Decimal("2100")
    future.effective_from = timezone.localdate() + timedelta(days=20)
    future.full_clean()
    EligibilityTier(
        rule_set=future, residency="citizen", ordinal=1, min_balance=Decimal("50000")
    ).full_clean()


def test_a_new_rule_set_cannot_start_in_the_past_or_today():
    backdated = RuleSet(name="Backdated", effective_from=timezone.localdate())
    with pytest.raises(ValidationError) as raised:
        backdated.full_clean()
    assert "effective_from" in raised.value.message_dict


def test_a_tier_needs_a_salary_or_a_balance():
    future = RuleSet.objects.create(name="Next", effective_from=timezone.localdate() + timedelta(days=10))
    with pytest.raises(ValidationError):
        EligibilityTier(rule_set=future, residency="citizen", ordinal=1).full_clean()


def test_copy_starts_a_new_dated_version_with_every_tier_and_country_rule():
    admin = UserFactory(is_staff=True, is_superuser=True)
    start = timezone.localdate() + timedelta(days=30)

    copy = rule_set_copy(source=seeded(), effective_from=start, name="2025 draft", actor=Actor.direct(admin))

    assert (copy.name, copy.effective_from, copy.visa_fee) == ("2025 draft", start, Decimal("2000.00"))
    assert copy.tiers.count() == 5 and copy.country_rules.count() == 33
    assert copy.rule_for_country(Country.objects.get(code="PH")).price_ceiling == 14_700
    assert seeded().tiers.count() == 5  # the source is untouched
    event = AuditEvent.objects.get(action="policy.rule_set_copied")
    assert event.actor == admin and event.target == copy
    assert rules_in_force(on=start) == copy


def test_copy_refuses_a_date_already_past_or_taken():
    admin = Actor.direct(UserFactory(is_staff=True, is_superuser=True))
    with pytest.raises(ValidationError) as raised:
        rule_set_copy(source=seeded(), effective_from=date(2024, 6, 1), name="Backdated", actor=admin)
    assert "effective_from" in raised.value.message_dict
    assert RuleSet.objects.count() == 1


def test_only_rule_keepers_may_copy_and_never_through_a_delegation():
    household_user = UserFactory(roles=["household"])
    start = timezone.localdate() + timedelta(days=30)
    with pytest.raises(PermissionDenied):
        rule_set_copy(source=seeded(), effective_from=start, name="x", actor=Actor.direct(household_user))

    admin = UserFactory(is_staff=True, is_superuser=True)
    delegation = Delegation.objects.create(
        principal=admin, delegate=household_user, scope=DelegationScope.PROFILE, valid_until=start
    )
    as_delegate = Actor(user=household_user, principal=admin, delegation=delegation)
    with pytest.raises(PermissionDenied):
        rule_set_copy(source=seeded(), effective_from=start, name="x", actor=as_delegate)
    assert RuleSet.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "text"),
    [(Decimal("7000"), "7,000"), (Decimal("172.5"), "172.50"), (200000, "200,000"), (Decimal("0"), "0")],
)
def test_amounts_read_with_thousands_separators(amount, text):
    assert format_amount(amount) == text
