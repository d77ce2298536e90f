"""The automatic review of a paid application: each rule looks at one thing and passes, refers or rejects.

Any rejection rejects the application, otherwise any referral sends it to an officer, otherwise it is
approved. Each rule's figures are kept with its finding, so a decision can be read and reproduced
later. Every figure comes from the application's rule set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from households.eligibility import household_eligibility
from households.models import ProofKind
from musaned.dates import format_both
from musaned.policy.models import Residency
from musaned.policy.money import format_amount

from .models import FindingVerdict, RejectionReason, ReviewFinding, Visa, VisaKind
from .selectors import counting_without

APPROVE, REJECT, REFER = "approve", "reject", "refer"


@dataclass(frozen=True)
class Finding:
    rule: str
    verdict: str
    params: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # a RejectionReason when the verdict is "reject"


def _day(value) -> str:
    return value.isoformat() if value else ""


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _submitted_on(visa: Visa):
    return timezone.localdate(visa.submitted_at)


def check_eligibility(visa: Visa) -> Finding:
    """The household may still hold this visa under the application's rules (a replacement keeps its slot)."""
    household = visa.household
    if visa.kind == VisaKind.REPLACEMENT:
        verdict = FindingVerdict.PASS if household.identity_confirmed else FindingVerdict.REJECT
        return Finding(
            "eligibility",
            verdict,
            {"replacement": True, "identity_confirmed": household.identity_confirmed},
            RejectionReason.NOT_ELIGIBLE if verdict == FindingVerdict.REJECT else "",
        )
    with counting_without(visa), translation.override(household.user.preferred_language or "ar"):
        result = household_eligibility(household=household, on=_submitted_on(visa))
        reasons = [str(reason) for reason in result.reasons]
    params = {"allowed": result.allowed, "held": result.held}
    if result.eligible:
        return Finding("eligibility", FindingVerdict.PASS, params)
    return Finding(
        "eligibility", FindingVerdict.REJECT, {**params, "reasons": reasons}, RejectionReason.NOT_ELIGIBLE
    )


def check_compatriot(visa: Visa) -> Finding:
    """A resident may not recruit a worker of their own nationality unless the rule set allows it."""
    household = visa.household
    same = household.residency == Residency.RESIDENT and household.nationality_id == visa.nationality_id
    params = {"resident": household.residency == Residency.RESIDENT, "same_nationality": same}
    if same and not visa.rule_set.resident_may_recruit_compatriot:
        return Finding("compatriot", FindingVerdict.REJECT, params, RejectionReason.COMPATRIOT)
    return Finding("compatriot", FindingVerdict.PASS, params)


def check_income_match(visa: Visa) -> Finding:
    """The stated monthly salary must match the income the household declared (and proved)."""
    declared = visa.household.monthly_income
    tolerance = visa.rule_set.visa_income_tolerance
    params = {
        "stated": _money(visa.stated_income),
        "declared": _money(declared),
        "tolerance": f"{tolerance:.2f}",
    }
    if not declared or abs(visa.stated_income - declared) > declared * tolerance:
        return Finding("income_match", FindingVerdict.REFER, params)
    return Finding("income_match", FindingVerdict.PASS, params)


def check_income_proof(visa: Visa) -> Finding:
    """A salary proof is read by the rules; a bank statement alone needs a person to check the attachment."""
    household = visa.household
    on = _submitted_on(visa)
    max_age = visa.rule_set.income_proof_max_age_days
    recent = [
        proof
        for proof in household.income_proofs.order_by("-issued_on", "-id")
        if proof.issued_on <= on and (on - proof.issued_on).days <= max_age
    ]
    salary_kinds = {ProofKind.SALARY_CERTIFICATE}
    if household.residency == Residency.RESIDENT:
        salary_kinds.add(ProofKind.SOCIAL_INSURANCE)
    salary = next((proof for proof in recent if proof.kind in salary_kinds), None)
    if salary is not None:
        return Finding(
            "income_proof", FindingVerdict.PASS, {"kind": salary.kind, "issued_on": _day(salary.issued_on)}
        )
    newest = recent[0] if recent else None
    return Finding(
        "income_proof",
        FindingVerdict.REFER,
        {"kind": newest.kind if newest else None, "issued_on": _day(newest.issued_on) if newest else ""},
    )


def check_medical_report(visa: Visa) -> Finding:
    """Some occupations (a home nurse) need a medical report that a person reads."""
    needed = visa.occupation.requires_medical_report
    return Finding(
        "medical_report", FindingVerdict.REFER if needed else FindingVerdict.PASS, {"needed": needed}
    )


RULES: tuple[Callable[[Visa], Finding], ...] = (
    check_eligibility,
    check_compatriot,
    check_income_match,
    check_income_proof,
    check_medical_report,
)


def evaluate(visa: Visa) -> list[Finding]:
    return [rule(visa) for rule in RULES]


def outcome(findings: list[Finding] | list[ReviewFinding]) -> str:
    verdicts = {finding.verdict for finding in findings}
    if FindingVerdict.REJECT in verdicts:
        return REJECT
    return REFER if FindingVerdict.REFER in verdicts else APPROVE


def first_rejection(findings: list[Finding]) -> Finding | None:
    return next((finding for finding in findings if finding.verdict == FindingVerdict.REJECT), None)


# In words, for the officer's case page ---------------------------------------------------------------


def _sar(value: str | None) -> str:
    return format_amount(Decimal(value)) if value is not None else ""


def _proof_kind(kind: str | None) -> str:
    return str(ProofKind(kind).label) if kind in ProofKind.values else ""


def describe(finding: ReviewFinding) -> str:
    """One sentence in the reader's language saying what the rule found, with the figures it used."""
    params, verdict = finding.params or {}, finding.verdict
    passed = verdict == FindingVerdict.PASS
    if finding.rule == "eligibility":
        if params.get("replacement"):
            if passed:
                return _(
                    "Replacement visa: the eligibility tier is not checked again; the identity is confirmed."
                )
            return _("Replacement visa, but the household's identity is not confirmed.")
        counts = {"allowed": params.get("allowed", 0), "held": params.get("held", 0)}
        if passed:
            return (
                _(
                    "Eligible: the household's proofs allow %(allowed)d visa(s); "
                    "it holds %(held)d besides this one."
                )
                % counts
            )
        text = (
            _("Not eligible: the proofs allow %(allowed)d visa(s) and the household holds %(held)d.") % counts
        )
        return " ".join([text, *params.get("reasons", [])])
    if finding.rule == "compatriot":
        if passed:
            return _("The employer may recruit a worker of this nationality.")
        return _("The employer is a resident of the worker's nationality, which the rules do not allow.")
    if finding.rule == "income_match":
        values = {
            "stated": _sar(params.get("stated")),
            "declared": _sar(params.get("declared")),
            "tolerance": format_amount(Decimal(params.get("tolerance", "0")) * 100),
        }
        if not params.get("declared"):
            return _("No monthly income is declared to compare the stated %(stated)s SAR with.") % values
        if passed:
            return (
                _(
                    "The stated income (%(stated)s SAR) matches the declared income (%(declared)s SAR) "
                    "within %(tolerance)s%%."
                )
                % values
            )
        return (
            _(
                "The stated income (%(stated)s SAR) differs from the declared income (%(declared)s SAR) "
                "by more than %(tolerance)s%%: compare it with the proof."
            )
            % values
        )
    if finding.rule == "income_proof":
        issued = params.get("issued_on")
        values = {
            "kind": _proof_kind(params.get("kind")),
            "day": format_both(dt.date.fromisoformat(issued)) if issued else "",
        }
        if passed:
            return _("The income is proven by a %(kind)s dated %(day)s.") % values
        if params.get("kind"):
            return (
                _("The newest proof is a %(kind)s dated %(day)s, with no salary proof: check the attachment.")
                % values
            )
        return _("There is no recent income proof: check the attachments.")
    if finding.rule == "medical_report":
        if passed:
            return _("The occupation needs no medical report.")
        return _("%(occupation)s needs a medical report: check it.") % {"occupation": finding.visa.occupation}
    return finding.rule
