"""Forms of the complaint pages; the services check everything again before writing."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .complaints import DESCRIPTION_MAX_LENGTH, MAX_ATTACHMENTS, ComplaintDecision
from .models import ComplaintCategory


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; the list comes back as it was sent."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        cleaned = []
        for item in items:
            if item:
                cleaned.append(super().clean(item, initial))
        return cleaned


def _attachments_help() -> str:
    return _("Up to %(count)d PDF, JPEG or PNG files of at most %(size)s each.") % {
        "count": MAX_ATTACHMENTS,
        "size": filesizeformat(settings.UPLOAD_MAX_BYTES),
    }


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What is the complaint about?"), choices=ComplaintCategory.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Give the dates, what was agreed and what went wrong."),
    )
    attachments = MultipleFileField(
        label=_("Documents or photos (optional)"), required=False, help_text=lazy(_attachments_help, str)()
    )


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("The office's answer"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Say what the office has done or will do, and by when. The complainant reads this."),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=ComplaintDecision.choices, widget=forms.RadioSelect
    )
    refund_amount = forms.DecimalField(
        label=_("Amount to refund (SAR)"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Only for a refund: returned from the case's payment."),
    )
    suspension_days = forms.IntegerField(
        label=_("Suspension (days)"),
        required=False,
        min_value=1,
        help_text=_("Only for a suspension: the office takes no new requests for this many days."),
    )
    note = forms.CharField(
        label=_("Reasons for the decision"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The household and the office read this."),
    )

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision == ComplaintDecision.REFUND and not data.get("refund_amount"):
            self.add_error("refund_amount", _("Enter the amount to refund."))
        if decision == ComplaintDecision.SUSPENSION and not data.get("suspension_days"):
            self.add_error("suspension_days", _("Enter for how many days the office is suspended."))
        return data
