"""Amounts as people read them in sentences and on screens."""

from decimal import Decimal


def format_amount(value: Decimal | int | str) -> str:
    """Thousands separated, decimals only when there are any: 7000 -> "7,000"; 172.5 -> "172.50"."""
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
