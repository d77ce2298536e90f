from django import forms
from django.utils.translation import gettext_lazy as _


class StaffAddForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send an invitation to this address with a link to choose a password."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
