"""Formats of the identifiers a recruitment office is registered under."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_cr_number(value: str) -> None:
    """A commercial registration number has exactly 10 digits."""
    if not re.fullmatch(r"\d{10}", value or ""):
        raise ValidationError(_("A commercial registration number has exactly 10 digits."), code="cr_format")
