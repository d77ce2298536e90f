import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassesValidator:
    """A strong password mixes letters, digits and symbols (the ministry's rule for every account)."""

    CLASSES = (r"[A-Za-z\u0600-\u06FF]", r"\d", r"[^A-Za-z0-9\u0600-\u06FF\s]")

    def validate(self, password: str, user=None) -> None:
        if not all(re.search(pattern, password) for pattern in self.CLASSES):
            raise ValidationError(
                _("Your password must contain letters, digits and at least one symbol."),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain letters, digits and at least one symbol.")
