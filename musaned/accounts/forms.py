"""Forms of the security pages; the services re-check everything they are given."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import DelegationScope


class DelegationGrantForm(forms.Form):
    delegate_email = forms.EmailField(
        label=_("E-mail address of the delegate"),
        help_text=_("The person must already have an account on the platform with this confirmed e-mail."),
    )
    scope = forms.ChoiceField(label=_("What may they do for you?"), choices=DelegationScope.choices)
    valid_until = forms.DateField(
        label=_("Last day of the delegation"),
        help_text=_("At most one year from today."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("valid_until", timezone.localdate() + dt.timedelta(days=90))


class CompromisedReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What happened? (optional)"),
        required=False,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: I received a sign-in alert I did not expect, or my e-mail was hacked."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account will be locked until the ministry checks my identity."),
    )


class UnlockForm(forms.Form):
    identity_check = forms.CharField(
        label=_("How did you confirm the person's identity?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: in person at a branch with the ID card, or a call to the registered mobile."
        ),
    )
    confirm = forms.BooleanField(label=_("I have confirmed that the person asking is the account holder."))
