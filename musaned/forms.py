"""Form fields shared by every app."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .dates import FIRST_HIJRI, LAST_HIJRI, from_hijri, in_hijri_range, parse_numeric_date, to_hijri

HIJRI = "hijri"
GREGORIAN = "gregorian"
CALENDAR_CHOICES = [(HIJRI, gettext_lazy("Hijri")), (GREGORIAN, gettext_lazy("Gregorian"))]
GREGORIAN_YEARS = range(1900, 2101)


class DualCalendarDateWidget(forms.MultiWidget):
    """A calendar choice beside a typed date; the date box stays left-to-right so digits keep their order."""

    template_name = "musaned/widgets/dual_calendar_date.html"

    def __init__(self, *, default_calendar: str = GREGORIAN, attrs: dict | None = None):
        self.default_calendar = default_calendar
        widgets = {
            "calendar": forms.Select(
                choices=CALENDAR_CHOICES, attrs={"aria-label": gettext_lazy("Calendar")}
            ),
            "": forms.TextInput(
                attrs={
                    "dir": "ltr",
                    "autocomplete": "off",
                    "size": 12,
                    "placeholder": gettext_lazy("YYYY-MM-DD"),
                    "aria-label": gettext_lazy("Date (year-month-day or day/month/year)"),
                }
            ),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if not isinstance(value, date):
            return [self.default_calendar, ""]
        if self.default_calendar == HIJRI and in_hijri_range(value):
            return [HIJRI, to_hijri(value).isoformat()]
        return [GREGORIAN, value.isoformat()]


class DualCalendarDateField(forms.MultiValueField):
    """A day typed in the Hijri (Umm al-Qura) or the Gregorian calendar, cleaned to a `datetime.date`.

    Accepts YYYY-MM-DD and DD/MM/YYYY, in Western or Arabic-Indic digits.
    """

    def __init__(self, *, default_calendar: str = GREGORIAN, **kwargs):
        kwargs.setdefault("widget", DualCalendarDateWidget(default_calendar=default_calendar))
        fields = (forms.ChoiceField(choices=CALENDAR_CHOICES), forms.CharField(max_length=20))
        super().__init__(fields=fields, require_all_fields=True, **kwargs)

    def compress(self, data_list) -> date | None:
        if not data_list or not data_list[1]:
            return None
        calendar, text = data_list
        year, month, day = parse_numeric_date(text)
        if calendar == HIJRI:
            if year in GREGORIAN_YEARS:
                raise ValidationError(
                    _("%(year)d looks like a Gregorian year: choose the Gregorian calendar.")
                    % {"year": year},
                    code="looks_gregorian",
                )
            return from_hijri(year, month, day)
        if year not in GREGORIAN_YEARS:
            if FIRST_HIJRI[0] <= year <= LAST_HIJRI[0]:
                raise ValidationError(
                    _("%(year)d looks like a Hijri year: choose the Hijri calendar.") % {"year": year},
                    code="looks_hijri",
                )
            raise ValidationError(_("Check the year: it should be between 1900 and 2100."), code="year_range")
        try:
            return date(year, month, day)
        except ValueError:
            raise ValidationError(
                _("This day does not exist in the Gregorian calendar: check the day and the month."),
                code="invalid_date",
            ) from None
