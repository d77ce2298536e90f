"""The money and the deadlines of a recruitment case, from the rule set the contract was signed under.

Pure functions: they read the contract and the dates they are given, write nothing and never look at the
clock, so any amount can be computed again later and come out the same. Each amount comes back as a
Quote: the figure and the sentence that explains it, in the active language.

The conventions, chosen once for every formula here:

- Percentages in the rule set apply to the contract price excluding VAT ("the price"). What the household
  pays in, and what is held in trust, is the contract total, VAT included.
- Amounts are rounded to the halala (0.01 SAR), half up.
- The delivery clock starts the day after payment: with N days, delivery is due on the payment day + N.
  N is the number of days the office promised in its offer, capped by the rule for the worker's country
  (or, without one, the rule set's general figure): an office may promise faster delivery, never slower.
- The hard limit is the first due day + the one extension the rules allow, whether or not the office
  asked for it. Lateness counts whole days after the day delivery was due (the extended day, once the
  office has extended), and the penalty stops growing at its cap.
- In the guarantee, every calendar month the worker started counts as served (a worker returned on the
  40th day has served two months); the refund is for the contract months that remain.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from musaned.dates import format_both
from musaned.policy.money import format_amount

from .models import Contract, MilestoneKind, TrustEntryKind

CENTS = Decimal("0.01")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Quote:
    """An amount and how it was computed, in words a household can check."""

    amount: Decimal
    formula: str


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


def _percent_of(percent: Decimal, base: Decimal) -> Decimal:
    return _money(base * percent / HUNDRED)


def _sar(value: Decimal) -> str:
    return _("%(amount)s SAR") % {"amount": format_amount(value)}


def _pct(value: Decimal) -> str:
    return f"{format_amount(value)}%"


# --- paying in -------------------------------------------------------------------------------------


def contract_bill(*, contract: Contract) -> Quote:
    """What the household pays: the price and its VAT, held in trust until the office has delivered."""
    return Quote(
        contract.total,
        _("Recruitment price %(price)s + VAT %(rate)s (%(vat)s) = %(total)s, held in trust")
        % {
            "price": _sar(contract.price),
            "rate": _pct(contract.rule_set.vat_rate * HUNDRED),
            "vat": _sar(contract.vat_amount),
            "total": _sar(contract.total),
        },
    )


# --- deadlines -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryTerms:
    days: int
    explanation: str


def delivery_terms(*, contract: Contract) -> DeliveryTerms:
    """How many days the office has to deliver, counted from the day after payment."""
    rule_set = contract.rule_set
    country_rule = rule_set.rule_for_country(contract.cv.nationality)
    limit = (
        country_rule.delivery_days if country_rule and country_rule.delivery_days else rule_set.delivery_days
    )
    promised = contract.offer.delivery_days
    days = min(promised, limit)
    explanation = _(
        "The office promised %(promised)d days; the rules allow at most %(limit)d days for %(country)s: "
        "%(days)d days, counted from the day after payment"
    ) % {"promised": promised, "limit": limit, "country": contract.cv.nationality.name, "days": days}
    return DeliveryTerms(days, explanation)


def delivery_due_on(*, paid_on: dt.date, days: int) -> dt.date:
    """Day 1 is the day after payment, so day N is the payment day + N."""
    return paid_on + dt.timedelta(days=days)


def effective_due_on(contract: Contract) -> dt.date | None:
    """The day delivery is due now: the extended day once the office has used its extension."""
    return contract.extended_due_on or contract.delivery_due_on


def hard_limit_on(contract: Contract) -> dt.date | None:
    """The last day the office may deliver; the day after it the contract is void."""
    if contract.delivery_due_on is None:
        return None
    return contract.delivery_due_on + dt.timedelta(days=contract.rule_set.delivery_extension_days)


def days_late(*, due_on: dt.date, on: dt.date) -> int:
    return max(0, (on - due_on).days)


# --- penalties, fees and refunds -------------------------------------------------------------------


def delay_penalty(*, contract: Contract, on: dt.date) -> Quote:
    """The late-delivery penalty as it stands on day `on`: so much a day late, up to a cap."""
    rule_set = contract.rule_set
    due_on = effective_due_on(contract)
    late = days_late(due_on=due_on, on=on)
    per_day = rule_set.delay_penalty_per_day
    cap = _percent_of(rule_set.delay_penalty_cap_percent, contract.price)
    accrued = _money(per_day * late)
    amount = min(accrued, cap)
    values = {
        "days": late,
        "per_day": _sar(per_day),
        "accrued": _sar(accrued),
        "cap": _sar(cap),
        "cap_percent": _pct(rule_set.delay_penalty_cap_percent),
        "price": _sar(contract.price),
        "due": format_both(due_on),
        "amount": _sar(amount),
    }
    if late == 0:
        formula = _("Not late: delivery is due by %(due)s") % values
    elif accrued > cap:
        formula = (
            _(
                "%(days)d days late after %(due)s × %(per_day)s = %(accrued)s, capped at %(cap_percent)s "
                "of the price %(price)s: %(amount)s"
            )
            % values
        )
    else:
        formula = (
            _(
                "%(days)d days late after %(due)s × %(per_day)s a day = %(amount)s "
                "(at most %(cap_percent)s of the price: %(cap)s)"
            )
            % values
        )
    return Quote(amount, formula)


class CancelStage:
    """How far the case had gone when the household cancelled: the rule set's fee depends on it."""

    UNPAID = "unpaid"
    PAID = "paid"
    AUTHORISED = "authorised"
    STAMPED = "stamped"


def cancel_stage(*, paid: bool, milestones: Iterable[str]) -> str:
    reported = set(milestones)
    if not paid:
        return CancelStage.UNPAID
    if MilestoneKind.EMBASSY_STAMPING in reported:
        return CancelStage.STAMPED
    if MilestoneKind.MOFA_AUTHORISATION in reported:
        return CancelStage.AUTHORISED
    return CancelStage.PAID


@dataclass(frozen=True)
class CancelQuote:
    """What cancelling gives: the part kept (a fee or nothing), the refund, the penalty, and why."""

    fee: Decimal
    refund: Decimal
    penalty: Decimal
    formula: str


def household_cancellation(*, contract: Contract | None, stage: str, held: Decimal) -> CancelQuote:
    """The household cancels before arrival: free before payment, then a fee growing with the steps done."""
    zero = Decimal("0.00")
    if stage == CancelStage.UNPAID or contract is None:
        return CancelQuote(zero, zero, zero, _("Nothing has been paid yet, so cancelling is free."))
    rule_set = contract.rule_set
    percent, when = {
        CancelStage.PAID: (rule_set.cancel_fee_percent_paid, _("after payment, before any step")),
        CancelStage.AUTHORISED: (
            rule_set.cancel_fee_percent_in_process,
            _("after the foreign-ministry authorisation"),
        ),
        CancelStage.STAMPED: (rule_set.cancel_fee_percent_stamped, _("after the embassy stamping")),
    }[stage]
    fee = min(_percent_of(percent, contract.price), _money(held))
    refund = _money(held - fee)
    formula = _(
        "Cancelled %(when)s: fee %(percent)s of the price %(price)s = %(fee)s kept for the office; "
        "refund %(held)s held − %(fee)s = %(refund)s"
    ) % {
        "when": when,
        "percent": _pct(percent),
        "price": _sar(contract.price),
        "fee": _sar(fee),
        "held": _sar(held),
        "refund": _sar(refund),
    }
    return CancelQuote(fee, refund, Decimal("0.00"), formula)


def office_cancellation(*, contract: Contract, held: Decimal) -> CancelQuote:
    """The office cancels: everything held goes back, and the office owes a penalty on top."""
    percent = contract.rule_set.office_cancellation_penalty_percent
    penalty = _percent_of(percent, contract.price)
    formula = _(
        "Cancelled by the office: the %(held)s held is refunded in full, and the office owes a penalty of "
        "%(percent)s of the price %(price)s = %(penalty)s, collected from its bank guarantee"
    ) % {
        "held": _sar(held),
        "percent": _pct(percent),
        "price": _sar(contract.price),
        "penalty": _sar(penalty),
    }
    return CancelQuote(Decimal("0.00"), _money(held), penalty, formula)


def void_refund(*, held: Decimal) -> Quote:
    return Quote(
        _money(held),
        _(
            "The contract is void because the office did not deliver in time: "
            "the %(held)s held is refunded in full"
        )
        % {"held": _sar(held)},
    )


def owed_by_office(penalty: Quote) -> Quote:
    """A penalty the money held cannot cover: the office pays it from its bank guarantee."""
    return Quote(
        penalty.amount,
        _("%(formula)s; owed by the office on top of the full refund, collected from its bank guarantee")
        % {"formula": penalty.formula},
    )


# --- releases to the office ------------------------------------------------------------------------


def release_on_handover(*, contract: Contract, held: Decimal) -> Quote:
    """The first part of the money goes to the office once the household has received the worker."""
    percent = contract.rule_set.trust_release_percent_on_arrival
    share = _percent_of(percent, contract.price)
    amount = max(Decimal("0.00"), min(share, _money(held)))
    values = {
        "percent": _pct(percent),
        "price": _sar(contract.price),
        "share": _sar(share),
        "amount": _sar(amount),
    }
    if amount < share:
        formula = _(
            "%(percent)s of the price %(price)s = %(share)s, limited to what is still held: %(amount)s"
        )
    else:
        formula = _(
            "Worker handed over: %(percent)s of the price %(price)s = %(amount)s released to the office"
        )
    return Quote(amount, formula % values)


def final_release(*, held: Decimal, reason: str) -> Quote:
    """Whatever is still held goes to the office when the case ends without a further refund."""
    amount = max(Decimal("0.00"), _money(held))
    return Quote(
        amount,
        _("%(reason)s: the %(amount)s still held is released to the office")
        % {
            "reason": reason,
            "amount": _sar(amount),
        },
    )


# --- the guarantee ---------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the last day of a shorter month (31 January + 1: end of February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_served(*, arrived_on: dt.date, exit_on: dt.date) -> int:
    """Calendar months from arrival to exit, a started month counting in full; 0 for an exit on arrival."""
    if exit_on <= arrived_on:
        return 0
    months = 0
    while add_months(arrived_on, months) < exit_on:
        months += 1
    return months


def pro_rata_refund(
    *, contract: Contract, arrived_on: dt.date, exit_on: dt.date, refundable: Decimal
) -> Quote:
    """A return in the guarantee: (total cost / contract months) × months remaining."""
    served = months_served(arrived_on=arrived_on, exit_on=exit_on)
    remaining = max(0, contract.contract_months - served)
    computed = _money(contract.total / contract.contract_months * remaining)
    amount = min(computed, _money(refundable))
    values = {
        "total": _sar(contract.total),
        "months": contract.contract_months,
        "served": served,
        "remaining": remaining,
        "computed": _sar(computed),
        "amount": _sar(amount),
    }
    formula = (
        _(
            "(%(total)s ÷ %(months)d months) × %(remaining)d months remaining (%(served)d started months "
            "served) = %(computed)s"
        )
        % values
    )
    if amount < computed:
        formula = _("%(formula)s, limited to what can still be refunded: %(amount)s") % {
            "formula": formula,
            "amount": values["amount"],
        }
    return Quote(amount, formula)


# --- the ledger ------------------------------------------------------------------------------------

OUTFLOWS = frozenset(
    {TrustEntryKind.RELEASED, TrustEntryKind.REFUNDED, TrustEntryKind.PENALTY, TrustEntryKind.FEE}
)


def trust_balance(entries: Iterable) -> Decimal:
    """Paid in minus everything paid out (released, refunded, penalties, fees).

    Below zero, the office owes the difference: refunds and penalties beyond what was still held are
    collected from its bank guarantee.
    """
    balance = Decimal("0.00")
    for entry in entries:
        if entry.kind == TrustEntryKind.HELD:
            balance += entry.amount
        elif entry.kind in OUTFLOWS:
            balance -= entry.amount
    return _money(balance)
