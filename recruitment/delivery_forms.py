"""Forms of the case page: the office's steps and arrival, the household's return, cancellation and rating."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musaned.forms import DualCalendarDateField

from .models import MilestoneKind


class MilestoneForm(forms.Form):
    kind = forms.ChoiceField(label=_("Step"), choices=MilestoneKind.choices)
    occurred_on = DualCalendarDateField(label=_("Date"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    document = forms.FileField(
        label=_("Document"),
        required=False,
        help_text=_("PDF, JPEG or PNG, for example the stamped visa page."),
    )


class ArrivalForm(forms.Form):
    arrived_on = DualCalendarDateField(label=_("Arrival date"))
    arrived_time = forms.TimeField(
        label=_("Arrival time"), widget=forms.TimeInput(attrs={"type": "time", "dir": "ltr"}, format="%H:%M")
    )

    def arrived_at(self) -> dt.datetime:
        return timezone.make_aware(
            dt.datetime.combine(self.cleaned_data["arrived_on"], self.cleaned_data["arrived_time"])
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ReturnForm(ReasonForm):
    exit_on = DualCalendarDateField(label=_("Day the worker left your home"))


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[(number, "★" * number) for number in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
