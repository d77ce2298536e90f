"""How visa facts read on the household's pages and in its messages."""

from decimal import Decimal, InvalidOperation

from django import template

from musaned.policy.money import format_amount

from ..models import RejectionReason, VisaState

register = template.Library()

GOOD = {VisaState.ISSUED, VisaState.ACTIVATED, VisaState.USED}
BAD = {VisaState.REJECTED, VisaState.WITHDRAWN, VisaState.CANCELLED, VisaState.EXPIRED}


@register.filter
def state_class(state: str) -> str:
    """The badge colour of a visa state: good, bad, or warn while something is still to happen."""
    if state in GOOD:
        return "good"
    return "bad" if state in BAD else "warn"


@register.filter
def sar(value) -> str:
    """An amount as people read it ("2,000", "172.50"), whether it came as a number or as text."""
    if value is None or value == "":
        return ""
    try:
        return format_amount(Decimal(str(value)))
    except InvalidOperation:
        return str(value)


@register.filter
def rejection_reason(value) -> str:
    """A rejection reason's code as its label in the active language; anything else unchanged."""
    if value in RejectionReason.values:
        return str(RejectionReason(value).label)
    return str(value or "")


@register.filter
def positive(value) -> bool:
    """Whether an amount (a number or its text) is above zero."""
    try:
        return Decimal(str(value)) > 0
    except InvalidOperation:
        return False
