"""Financial capacity: how many domestic visas a household may hold under a day's rules, and why not more.

Higher apps add what they know about held visas by appending a callable to HELD_VISA_COUNTERS,
so this module never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from musaned.policy.models import EligibilityTier, Residency, RuleSet
from musaned.policy.money import format_amount
from musaned.policy.services import rules_in_force

from .models import Household, IncomeProof, MaritalStatus, ProofKind

HELD_VISA_COUNTERS: list[Callable[[Household], int]] = []


@dataclass(frozen=True)
class Eligibility:
    rule_set: RuleSet
    allowed: int
    held: int
    available: int
    reasons: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return self.available > 0


class _Proof(Enum):
    VALID = "valid"
    STALE = "stale"
    MISSING = "missing"


def _ordinal(number: int) -> str:
    words = {
        1: pgettext("which visa", "first"),
        2: pgettext("which visa", "second"),
        3: pgettext("which visa", "third"),
        4: pgettext("which visa", "fourth"),
        5: pgettext("which visa", "fifth"),
    }
    return words.get(number) or pgettext("which visa", "number %(number)d") % {"number": number}


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _salary_kinds(residency: str) -> set[str]:
    if residency == Residency.RESIDENT:
        return {ProofKind.SALARY_CERTIFICATE, ProofKind.SOCIAL_INSURANCE}
    return {ProofKind.SALARY_CERTIFICATE}


def _proof_state(proofs: list[IncomeProof], kinds: set[str], on: date, max_age_days: int) -> _Proof:
    relevant = [proof for proof in proofs if proof.kind in kinds and proof.issued_on <= on]
    if any((on - proof.issued_on).days <= max_age_days for proof in relevant):
        return _Proof.VALID
    return _Proof.STALE if relevant else _Proof.MISSING


@dataclass(frozen=True)
class _Evidence:
    salary: _Proof
    balance: _Proof
    monthly_income: Decimal | None
    bank_balance: Decimal | None

    def meets(self, tier: EligibilityTier) -> bool:
        by_salary = (
            tier.min_monthly_salary is not None
            and self.salary is _Proof.VALID
            and (
                tier.min_monthly_salary == 0
                or (self.monthly_income is not None and self.monthly_income >= tier.min_monthly_salary)
            )
        )
        by_balance = (
            tier.min_balance is not None
            and self.balance is _Proof.VALID
            and self.bank_balance is not None
            and self.bank_balance >= tier.min_balance
        )
        return by_salary or by_balance


def _tier_sentence(tier: EligibilityTier) -> str:
    values = {"ordinal": _ordinal(tier.ordinal)}
    salary, balance = tier.min_monthly_salary, tier.min_balance
    if salary is not None:
        values["salary"] = format_amount(salary)
    if balance is not None:
        values["balance"] = format_amount(balance)
    if salary == 0 and balance is not None:
        text = _(
            "Your %(ordinal)s visa needs a salary certificate or a bank balance of at least %(balance)s SAR."
        )
    elif salary == 0:
        text = _("Your %(ordinal)s visa needs a salary certificate.")
    elif salary is not None and balance is not None:
        text = _(
            "Your %(ordinal)s visa needs a monthly salary of at least %(salary)s SAR "
            "or a bank balance of at least %(balance)s SAR."
        )
    elif salary is not None:
        text = _("Your %(ordinal)s visa needs a monthly salary of at least %(salary)s SAR.")
    else:
        text = _("Your %(ordinal)s visa needs a bank balance of at least %(balance)s SAR.")
    return text % values


def _proof_sentences(
    tier: EligibilityTier, evidence: _Evidence, residency: str, max_age_days: int
) -> list[str]:
    """What the household can do about its documents to pass `tier`."""
    paths = []
    if tier.min_monthly_salary is not None:
        paths.append((evidence.salary, evidence.monthly_income, tier.min_monthly_salary))
    if tier.min_balance is not None:
        paths.append((evidence.balance, evidence.bank_balance, tier.min_balance))
    states = [state for state, _amount, _minimum in paths]
    sentences = []
    if _Proof.STALE in states:
        sentences.append(
            _("Your income proof is older than %(days)d days: upload a new one.") % {"days": max_age_days}
        )
    if states and all(state is _Proof.MISSING for state in states):
        if residency == Residency.RESIDENT:
            sentences.append(
                _(
                    "You have not uploaded an income proof yet: upload a salary certificate, "
                    "a social-insurance certificate or a bank statement."
                )
            )
        else:
            sentences.append(
                _(
                    "You have not uploaded an income proof yet: "
                    "upload a salary certificate or a bank statement."
                )
            )
    if tier.min_monthly_salary and evidence.salary is _Proof.VALID and evidence.monthly_income is None:
        sentences.append(_("Enter your monthly income as it appears on your salary certificate."))
    if tier.min_balance is not None and evidence.balance is _Proof.VALID and evidence.bank_balance is None:
        sentences.append(_("Enter your bank balance as it appears on your bank statement."))
    return sentences


def _no_more_tiers(residency: str, count: int) -> str:
    if count == 0:
        if residency == Residency.RESIDENT:
            return _("Under the current rules, residents cannot get a domestic worker visa.")
        return _("Under the current rules, citizens cannot get a domestic worker visa.")
    if residency == Residency.RESIDENT:
        text = ngettext(
            "Under the current rules, a resident may hold at most %(count)d domestic worker visa.",
            "Under the current rules, a resident may hold at most %(count)d domestic worker visas.",
            count,
        )
    else:
        text = ngettext(
            "Under the current rules, a citizen may hold at most %(count)d domestic worker visa.",
            "Under the current rules, a citizen may hold at most %(count)d domestic worker visas.",
            count,
        )
    return text % {"count": count}


def _gate_reasons(household: Household, rule_set: RuleSet, on: date) -> list[str]:
    """Conditions that stop every visa, whatever the income."""
    reasons = []
    if not household.identity_confirmed:
        reasons.append(_("Your identity has not been confirmed yet."))
    if household.mobile_verified_at is None:
        reasons.append(_("Your mobile number has not been verified yet."))
    if (
        household.marital_status == MaritalStatus.SINGLE
        and _age_on(household.date_of_birth, on) < rule_set.min_applicant_age
    ):
        reasons.append(
            _("Single applicants must be at least %(age)d years old.") % {"age": rule_set.min_applicant_age}
        )
    return reasons


def held_visas(household: Household) -> int:
    """Workers employed now plus visas other apps report as held (issued, in process)."""
    active_workers = household.workers.filter(ended_on__isnull=True).count()
    return active_workers + sum(counter(household) for counter in HELD_VISA_COUNTERS)


def household_eligibility(*, household: Household, on: date | None = None) -> Eligibility:
    """Judge a household under the rules in force on `on` (today by default).

    `allowed` counts the tiers its proofs pass in order; `reasons` says, with the figures,
    why no further visa is possible and is empty when one is.
    """
    on = on or timezone.localdate()
    rule_set = rules_in_force(on=on)
    residency = household.residency
    tiers = rule_set.tiers_for(residency)
    proofs = list(household.income_proofs.all())
    max_age = rule_set.income_proof_max_age_days
    evidence = _Evidence(
        salary=_proof_state(proofs, _salary_kinds(residency), on, max_age),
        balance=_proof_state(proofs, {ProofKind.BANK_STATEMENT}, on, max_age),
        monthly_income=household.monthly_income,
        bank_balance=household.bank_balance,
    )

    allowed = 0
    for tier in tiers:
        if not evidence.meets(tier):
            break
        allowed += 1

    held = held_visas(household)
    reasons = _gate_reasons(household, rule_set, on)
    available = 0 if reasons else max(0, allowed - held)
    if allowed <= held:
        wanted = held + 1
        if wanted > len(tiers):
            reasons.append(_no_more_tiers(residency, len(tiers)))
        else:
            # Name the visa asked for; if it passes but an earlier tier does not, name that one.
            failing = [tier for tier in tiers[:wanted] if not evidence.meets(tier)]
            tier = tiers[wanted - 1] if tiers[wanted - 1] in failing else failing[0]
            reasons.append(_tier_sentence(tier))
            reasons.extend(_proof_sentences(tier, evidence, residency, max_age))
    return Eligibility(rule_set=rule_set, allowed=allowed, held=held, available=available, reasons=reasons)


def fee_exempt(household: Household, rule_set: RuleSet) -> bool:
    """A household with a registered disability pays no visa fee while the rules say so."""
    return household.has_registered_disability and rule_set.disability_fee_exempt
