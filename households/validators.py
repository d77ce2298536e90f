"""Saudi identity, phone and national-address formats."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def national_id_checksum_ok(value: str) -> bool:
    """Luhn-style: double the digits in odd positions, add the digits of each product and the rest."""
    total = 0
    for position, char in enumerate(value, start=1):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            digit = digit // 10 + digit % 10
        total += digit
    return total % 10 == 0


def validate_national_id(value: str) -> None:
    if not re.fullmatch(r"\d{10}", value or ""):
        raise ValidationError(_("A national ID or iqama number has exactly 10 digits."), code="id_format")
    if value[0] not in "12":
        raise ValidationError(
            _("A national ID starts with 1 (citizen) and an iqama number with 2 (resident)."),
            code="id_prefix",
        )
    if not national_id_checksum_ok(value):
        raise ValidationError(
            _("This national ID or iqama number is not valid: please check the digits."), code="id_checksum"
        )


def normalize_saudi_mobile(value: str) -> str:
    """Any common way of writing a Saudi mobile number, as +9665XXXXXXXX; ValidationError otherwise."""
    cleaned = re.sub(r"[\s\-()]", "", value or "")
    try:
        number = phonenumbers.parse(cleaned, "SA")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or number.country_code != 966
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise ValidationError(_("Enter a Saudi mobile number such as 05X XXX XXXX."), code="mobile_format")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_saudi_mobile(value: str) -> None:
    if normalize_saudi_mobile(value) != value:
        raise ValidationError(_("Enter a Saudi mobile number such as 05X XXX XXXX."), code="mobile_format")


def _require_digits(value: str, count: int, message) -> None:
    if not re.fullmatch(rf"\d{{{count}}}", value or ""):
        raise ValidationError(message, code="address_format")


def validate_building_number(value: str) -> None:
    _require_digits(value, 4, _("The building number has 4 digits."))


def validate_postal_code(value: str) -> None:
    _require_digits(value, 5, _("The postal code has 5 digits."))


def validate_additional_number(value: str) -> None:
    _require_digits(value, 4, _("The additional number has 4 digits."))
