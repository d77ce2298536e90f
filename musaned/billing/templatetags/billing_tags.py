"""{{ amount|sar }}: amounts of money as people read them, in the page language."""

from django import template
from django.utils.translation import gettext as _

from musaned.policy.money import format_amount

register = template.Library()


@register.filter
def sar(value) -> str:
    """ "2,300 SAR" / "2,300 ريال"; empty for an empty value."""
    if value is None or value == "":
        return ""
    return _("%(amount)s SAR") % {"amount": format_amount(value)}


@register.filter
def bill_status_class(state: str) -> str:
    """The colour of a bill's state: paid is good, waiting is a warning, closed unpaid is bad."""
    return {"paid": "good", "open": "warn"}.get(state, "bad")
