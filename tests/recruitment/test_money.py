"""The case's formulas: each amount from the rule set, with the sentence that explains it."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from musaned.policy.models import RuleSet
from recruitment import money
from recruitment.models import MilestoneKind, TrustEntryKind

RULES = RuleSet(name="test", effective_from=dt.date(2024, 1, 1))  # the default figures, unsaved


def contract(**overrides):
    values = {
        "rule_set": RULES,
        "price": Decimal("14000.00"),
        "vat_amount": Decimal("2100.00"),
        "total": Decimal("16100.00"),
        "contract_months": 24,
        "delivery_due_on": dt.date(2026, 3, 1),
        "extended_due_on": None,
    }
    return SimpleNamespace(**(values | overrides))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_the_bill_is_the_price_and_its_vat():
    quote = money.contract_bill(contract=contract())
    assert quote.amount == Decimal("16100.00")
    assert quote.formula == "Recruitment price 14,000 SAR + VAT 15% (2,100 SAR) = 16,100 SAR, held in trust"


def test_delivery_is_due_the_promised_days_after_payment_capped_by_the_country_rule():
    country = SimpleNamespace(pk=1, name="Philippines")
    rules = SimpleNamespace(
        delivery_days=90,
        rule_for_country=lambda _country: SimpleNamespace(delivery_days=75),
    )
    slow = SimpleNamespace(
        rule_set=rules, cv=SimpleNamespace(nationality=country), offer=SimpleNamespace(delivery_days=120)
    )

    terms = money.delivery_terms(contract=slow)

    assert terms.days == 75 and "the rules allow at most 75 days for Philippines" in terms.explanation
    # day 1 is the day after payment
    assert money.delivery_due_on(paid_on=dt.date(2026, 1, 1), days=75) == dt.date(2026, 3, 17)


@pytest.mark.parametrize(
    ("on", "amount"),
    [(dt.date(2026, 3, 1), "0.00"), (dt.date(2026, 3, 2), "100.00"), (dt.date(2026, 3, 31), "3000.00")],
)
def test_the_delay_penalty_is_so_much_a_day_late(on, amount):
    assert money.delay_penalty(contract=contract(), on=on).amount == Decimal(amount)


def test_the_delay_penalty_stops_at_its_cap_and_counts_from_the_extended_day():
    capped = money.delay_penalty(contract=contract(), on=dt.date(2026, 6, 1))
    assert capped.amount == Decimal("3500.00")
    assert "capped at 25% of the price 14,000 SAR: 3,500 SAR" in capped.formula
    extended = contract(extended_due_on=dt.date(2026, 3, 31))
    assert money.delay_penalty(contract=extended, on=dt.date(2026, 3, 31)).amount == 0
    assert money.hard_limit_on(extended) == dt.date(2026, 3, 31)


@pytest.mark.parametrize(
    ("milestones", "stage", "fee"),
    [
        ([], money.CancelStage.PAID, "700.00"),
        ([MilestoneKind.MOFA_AUTHORISATION], money.CancelStage.AUTHORISED, "1400.00"),
        (
            [MilestoneKind.MOFA_AUTHORISATION, MilestoneKind.EMBASSY_STAMPING],
            money.CancelStage.STAMPED,
            "2100.00",
        ),
    ],
)
def test_the_household_cancellation_fee_grows_with_the_steps_done(milestones, stage, fee):
    assert money.cancel_stage(paid=True, milestones=milestones) == stage
    quote = money.household_cancellation(contract=contract(), stage=stage, held=Decimal("16100.00"))
    assert quote.fee == Decimal(fee) and quote.refund == Decimal("16100.00") - Decimal(fee)


def test_cancelling_before_payment_is_free():
    assert (
        money.cancel_stage(paid=False, milestones=[MilestoneKind.MOFA_AUTHORISATION])
        == money.CancelStage.UNPAID
    )
    quote = money.household_cancellation(
        contract=contract(), stage=money.CancelStage.UNPAID, held=Decimal("0")
    )
    assert (quote.fee, quote.refund) == (0, 0)


def test_the_office_cancelling_refunds_everything_and_owes_its_penalty():
    quote = money.office_cancellation(contract=contract(), held=Decimal("16100.00"))
    assert (quote.refund, quote.penalty) == (Decimal("16100.00"), Decimal("1400.00"))


@pytest.mark.parametrize(
    ("arrived", "exit_on", "served"),
    [
        (dt.date(2026, 1, 10), dt.date(2026, 1, 10), 0),
        (dt.date(2026, 1, 10), dt.date(2026, 1, 11), 1),
        (dt.date(2026, 1, 10), dt.date(2026, 2, 10), 1),
        (dt.date(2026, 1, 10), dt.date(2026, 2, 11), 2),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28), 1),
        (dt.date(2026, 1, 31), dt.date(2026, 3, 1), 2),
    ],
)
def test_a_started_month_counts_as_served(arrived, exit_on, served):
    assert money.months_served(arrived_on=arrived, exit_on=exit_on) == served


def test_the_pro_rata_refund_is_the_total_over_the_months_times_the_months_remaining():
    quote = money.pro_rata_refund(
        contract=contract(),
        arrived_on=dt.date(2026, 1, 10),
        exit_on=dt.date(2026, 2, 19),
        refundable=Decimal("16100"),
    )
    assert quote.amount == Decimal("14758.33")
    assert quote.formula == (
        "(16,100 SAR ÷ 24 months) × 22 months remaining (2 started months served) = 14,758.33 SAR"
    )
    limited = money.pro_rata_refund(
        contract=contract(),
        arrived_on=dt.date(2026, 1, 10),
        exit_on=dt.date(2026, 2, 19),
        refundable=Decimal("1000"),
    )
    assert limited.amount == Decimal("1000.00") and "limited to what can still be refunded" in limited.formula


def test_the_release_on_hand_over_is_a_share_of_the_price_never_more_than_is_held():
    assert money.release_on_handover(contract=contract(), held=Decimal("16100")).amount == Decimal("7000.00")
    assert money.release_on_handover(contract=contract(), held=Decimal("5000")).amount == Decimal("5000.00")


def test_the_balance_is_paid_in_minus_paid_out_and_below_zero_the_office_owes():
    def entry(kind, amount):
        return SimpleNamespace(kind=kind, amount=Decimal(amount))

    ledger = [entry(TrustEntryKind.HELD, "16100"), entry(TrustEntryKind.RELEASED, "7000")]
    assert money.trust_balance(ledger) == Decimal("9100.00")
    ledger.append(entry(TrustEntryKind.REFUNDED, "14758.33"))
    assert money.trust_balance(ledger) == Decimal("-5658.33")


@given(
    arrived=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 1, 1)),
    days=st.integers(min_value=0, max_value=120),
)
def test_refunds_never_grow_as_the_worker_serves_longer(arrived, days):
    def refund(on):
        return money.pro_rata_refund(
            contract=contract(), arrived_on=arrived, exit_on=on, refundable=Decimal("16100")
        )

    exit_on = arrived + dt.timedelta(days=days)
    assert refund(exit_on + dt.timedelta(days=1)).amount <= refund(exit_on).amount <= Decimal("16100.00")
