from django import forms
from django.utils.translation import gettext_lazy as _

from .services import CODE_PATTERN


class VerifyCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=100,
        help_text=_("The code printed under the QR code on the document. Spaces do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not CODE_PATTERN.match(code):
            raise forms.ValidationError(
                _("This is not a verification code. Copy it exactly as printed, with its letters and digits.")
            )
        return code
