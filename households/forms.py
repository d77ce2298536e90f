"""Forms for the household's pages: they check the format of what people type; services check the rest."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from musaned.forms import DualCalendarDateField
from musaned.policy.models import Country, Occupation, Residency

from .models import EmployedWorker, Household, HouseholdMember, ProofKind
from .services import DUPLICATE_ID
from .validators import normalize_saudi_mobile, validate_national_id

# Phone keyboards in Arabic type Eastern Arabic digits; the data is kept in ASCII digits.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ARABIC_NAME = re.compile(r"[\u0621-\u063A\u0640-\u065F\u0670-\u06D3 '-]+")
_LATIN_NAME = re.compile(r"[A-Za-z\u00C0-\u024F .'-]+")
_LETTER = re.compile(r"[^\W\d_]")


def by_name(queryset):
    """Reference data in the reader's alphabet order."""
    english = (get_language() or "ar").startswith("en")
    return queryset.order_by("name_en" if english else "name_ar")


def ascii_digits(value: str) -> str:
    return (value or "").translate(_DIGITS).replace(" ", "")


def _single_spaces(value: str) -> str:
    return " ".join((value or "").split())


def validate_arabic_name(value: str) -> None:
    if not _ARABIC_NAME.fullmatch(value) or len(_LETTER.findall(value)) < 2:
        raise ValidationError(_("Write the name in Arabic letters only."), code="arabic_name")


def validate_latin_name(value: str) -> None:
    if not _LATIN_NAME.fullmatch(value) or len(_LETTER.findall(value)) < 2:
        raise ValidationError(
            _("Write the name in Latin letters only, as in your passport."), code="latin_name"
        )


def _not_in_future(value, message):
    if value and value > timezone.localdate():
        raise ValidationError(message)
    return value


class DigitsCleaningMixin:
    """Accepts Eastern Arabic digits and spaces in number fields."""

    digit_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            data = self.data.copy()
            for name in self.digit_fields:
                key = self.add_prefix(name)
                if key in data:
                    data[key] = ascii_digits(data[key])
            self.data = data


class HouseholdFieldsForm(DigitsCleaningMixin, forms.ModelForm):
    """The personal, contact and address fields shared by registration and the profile page."""

    digit_fields = ("national_id", "mobile", "building_number", "postal_code", "additional_number")

    date_of_birth = DualCalendarDateField(label=_("date of birth"))
    mobile = forms.CharField(
        label=_("mobile number"),
        max_length=20,
        help_text=_("A Saudi mobile number, such as 05X XXX XXXX. We will send it a code."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    nationality = forms.ModelChoiceField(
        label=_("nationality"),
        queryset=Country.objects.all(),
        required=False,
        help_text=_("Residents only."),
    )

    class Meta:
        model = Household
        fields = [
            "national_id",
            "nationality",
            "name_ar",
            "name_en",
            "date_of_birth",
            "marital_status",
            "mobile",
            "city",
            "building_number",
            "street",
            "district",
            "address_city",
            "postal_code",
            "additional_number",
        ]
        error_messages = {"national_id": {"unique": DUPLICATE_ID}}
        widgets = {
            "national_id": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "building_number": forms.TextInput(attrs={"inputmode": "numeric"}),
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric"}),
            "additional_number": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nationality"].queryset = by_name(Country.objects.all())
        self.fields["name_ar"].validators.append(validate_arabic_name)
        self.fields["name_en"].validators.append(validate_latin_name)
        self.fields["national_id"].help_text = _("10 digits: starts with 1 for citizens, 2 for residents.")

    def clean_name_ar(self):
        return _single_spaces(self.cleaned_data["name_ar"])

    def clean_name_en(self):
        return _single_spaces(self.cleaned_data["name_en"])

    def clean_mobile(self):
        return normalize_saudi_mobile(self.cleaned_data["mobile"])

    def clean_date_of_birth(self):
        born = _not_in_future(
            self.cleaned_data["date_of_birth"], _("The date of birth cannot be in the future.")
        )
        if born.year < 1900:
            raise ValidationError(_("Please check the date of birth."))
        return born

    def clean(self):
        cleaned = super().clean()
        national_id = cleaned.get("national_id") or ""
        if national_id.startswith("2") and not cleaned.get("nationality"):
            self.add_error("nationality", _("Residents must choose their nationality."))
        if national_id.startswith("1"):
            cleaned["nationality"] = None
        if national_id:
            cleaned["residency"] = Residency.CITIZEN if national_id.startswith("1") else Residency.RESIDENT
        return cleaned


class RegistrationForm(HouseholdFieldsForm):
    class Meta(HouseholdFieldsForm.Meta):
        fields = [*HouseholdFieldsForm.Meta.fields, "has_registered_disability"]


class ProfileForm(HouseholdFieldsForm):
    """The national ID is locked once the identity service has confirmed it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.identity_confirmed:
            field = self.fields["national_id"]
            field.disabled = True
            field.help_text = _("Confirmed by the identity service: it can no longer be changed.")


def _non_negative(value) -> None:
    if value is not None and value < 0:
        raise ValidationError(_("Enter an amount of zero or more."))


class FinancesForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ["monthly_income", "bank_balance"]
        help_texts = {
            "monthly_income": _("As on your salary certificate."),
            "bank_balance": _("As on your bank statement."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.validators.append(_non_negative)
            field.widget.attrs.update(min="0", inputmode="decimal")


class ProofForm(forms.Form):
    kind = forms.ChoiceField(label=_("document"))
    issued_on = DualCalendarDateField(label=_("issued on"))
    file = forms.FileField(
        label=_("file"),
        help_text=_("PDF, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/*"}),
    )

    def __init__(self, *args, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = ProofKind.choices
        if household.residency != Residency.RESIDENT:
            kinds = [(value, label) for value, label in kinds if value != ProofKind.SOCIAL_INSURANCE]
        self.fields["kind"].choices = kinds


class MemberForm(DigitsCleaningMixin, forms.ModelForm):
    digit_fields = ("national_id",)
    date_of_birth = DualCalendarDateField(label=_("date of birth"))

    class Meta:
        model = HouseholdMember
        fields = ["name", "relation", "date_of_birth", "national_id", "has_special_needs"]
        help_texts = {"national_id": _("Optional.")}

    def clean_name(self):
        return _single_spaces(self.cleaned_data["name"])

    def clean_date_of_birth(self):
        return _not_in_future(
            self.cleaned_data["date_of_birth"], _("The date of birth cannot be in the future.")
        )


class WorkerForm(DigitsCleaningMixin, forms.ModelForm):
    digit_fields = ("iqama_number",)
    employed_since = DualCalendarDateField(label=_("employed since"))

    class Meta:
        model = EmployedWorker
        fields = ["name", "nationality", "occupation", "iqama_number", "passport_number", "employed_since"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nationality"].queryset = by_name(Country.objects.all())
        self.fields["occupation"].queryset = by_name(Occupation.objects.filter(active=True))

    def clean_iqama_number(self):
        value = self.cleaned_data["iqama_number"]
        if value and not re.fullmatch(r"\d{10}", value):
            raise ValidationError(_("An iqama or border number has 10 digits."))
        return value

    def clean_passport_number(self):
        return self.cleaned_data["passport_number"].strip().upper()

    def clean_employed_since(self):
        return _not_in_future(
            self.cleaned_data["employed_since"], _("The start date cannot be in the future.")
        )


class WorkerEndForm(forms.Form):
    ended_on = DualCalendarDateField(label=_("employment ended on"))


class FlagCloseForm(forms.Form):
    note = forms.CharField(
        label=_("how it was settled"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
    )


class CodeForm(DigitsCleaningMixin, forms.Form):
    digit_fields = ("code",)
    code = forms.RegexField(
        label=_("code"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
    )


class OfficerSearchForm(DigitsCleaningMixin, forms.Form):
    digit_fields = ("national_id",)
    national_id = forms.CharField(
        label=_("national ID / iqama number"), max_length=10, validators=[validate_national_id]
    )
