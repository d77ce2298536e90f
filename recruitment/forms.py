from django import forms
from django.utils.translation import gettext_lazy as _

from musaned.forms import DualCalendarDateField
from musaned.policy.models import Country, Occupation

from .models import ContractTemplate, Office, PriceListEntry, Religion, WorkerCV
from .selectors import DIRECTORY_SORTS, cities
from .services import OFFICE_FIELDS


class StaffAddForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send an invitation to this address with a link to choose a password."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)


def _countries():
    return Country.objects.filter(active=True).order_by("name_en")


def _occupations():
    return Occupation.objects.filter(active=True).order_by("name_en")


class PriceForm(forms.ModelForm):
    """One line of the price list; when editing, the nationality and occupation stay as they are."""

    class Meta:
        model = PriceListEntry
        fields = ["nationality", "occupation", "price", "delivery_days"]
        help_texts = {
            "price": _("What the household pays you, before VAT. It cannot exceed the ceiling in force."),
            "delivery_days": _("Days from payment to the worker's arrival that you promise."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nationality"].queryset = _countries()
        self.fields["occupation"].queryset = _occupations()
        self.fields["price"].widget.attrs.update(inputmode="decimal", min="1")
        if self.instance.pk:
            for name in ("nationality", "occupation"):
                self.fields[name].disabled = True


def contract_language_choices() -> list[tuple[str, str]]:
    templates = ContractTemplate.objects.filter(active=True).values_list("language", "language_name")
    choices = dict(templates)
    choices.setdefault("en", "English")
    return [("", _("The usual language of the worker's country"))] + sorted(
        choices.items(), key=lambda item: item[1]
    )


class WorkerCVForm(forms.ModelForm):
    date_of_birth = DualCalendarDateField(label=_("date of birth"))
    passport_expiry = DualCalendarDateField(label=_("passport valid until"))
    language = forms.ChoiceField(
        label=_("contract language"),
        required=False,
        help_text=_("The worker reads the contract in this language."),
    )
    photo = forms.FileField(
        label=_("photo"),
        required=False,
        help_text=_("A JPEG or PNG picture of the worker's face."),
        widget=forms.FileInput(attrs={"accept": ".jpg,.jpeg,.png,image/jpeg,image/png"}),
    )

    class Meta:
        model = WorkerCV
        fields = [
            "name",
            "nationality",
            "occupation",
            "gender",
            "date_of_birth",
            "religion",
            "marital_status",
            "languages",
            "experience_years",
            "skills",
            "passport_number",
            "passport_expiry",
            "monthly_salary",
            "phone",
            "language",
        ]
        help_texts = {
            "languages": _("For example: English, Arabic (basic)."),
            "passport_expiry": _("It must stay valid after the contract ends."),
            "monthly_salary": _("At least the minimum wage of the worker's country, where one is set."),
            "phone": _("With the country code, for example +63 917 123 4567."),
        }
        widgets = {"skills": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nationality"].queryset = _countries()
        self.fields["occupation"].queryset = _occupations()
        self.fields["language"].choices = contract_language_choices()
        self.fields["monthly_salary"].widget.attrs.update(inputmode="decimal", min="0")
        self.fields["phone"].widget.attrs.update(dir="ltr", inputmode="tel")
        self.fields["passport_number"].widget.attrs.update(dir="ltr")

    def clean_language(self):
        nationality = self.cleaned_data.get("nationality")
        return self.cleaned_data.get("language") or (nationality.worker_language if nationality else "")


class OfficeRegisterForm(forms.ModelForm):
    manager_email = forms.EmailField(
        label=_("Manager's e-mail address"),
        help_text=_("We send the manager an invitation to choose a password."),
    )
    manager_first_name = forms.CharField(label=_("Manager's first name"), max_length=150)
    manager_last_name = forms.CharField(label=_("Manager's last name"), max_length=150)
    licence_valid_until = DualCalendarDateField(label=_("licence valid until"))

    class Meta:
        model = Office
        fields = list(OFFICE_FIELDS)


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The office and the public read it on the office's profile."),
    )
    until = DualCalendarDateField(
        label=_("Suspended until"),
        required=False,
        help_text=_("Leave empty to suspend until the office is reinstated."),
    )


class ReinstateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class DirectoryFilterForm(forms.Form):
    nationality = forms.ModelChoiceField(
        label=_("Nationality"), required=False, queryset=Country.objects.none(), empty_label=_("Any")
    )
    occupation = forms.ModelChoiceField(
        label=_("Occupation"), required=False, queryset=Occupation.objects.none(), empty_label=_("Any")
    )
    city = forms.ChoiceField(label=_("City"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=list(
            zip(
                DIRECTORY_SORTS,
                [_("Rating"), _("Price"), _("Delivery time"), _("On-time rate")],
                strict=True,
            )
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nationality"].queryset = _countries()
        self.fields["occupation"].queryset = _occupations()
        self.fields["city"].choices = [("", _("Any"))] + [(city, city) for city in cities()]


class CVSearchForm(forms.Form):
    nationality = forms.ModelChoiceField(
        label=_("Nationality"), required=False, queryset=Country.objects.none(), empty_label=_("Any")
    )
    occupation = forms.ModelChoiceField(
        label=_("Occupation"), required=False, queryset=Occupation.objects.none(), empty_label=_("Any")
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        required=False,
        choices=[("", _("Any")), ("female", _("Female")), ("male", _("Male"))],
    )
    religion = forms.ChoiceField(
        label=_("Religion"), required=False, choices=[("", _("Any")), *Religion.choices]
    )
    language = forms.CharField(label=_("Speaks"), required=False, max_length=40)
    min_experience = forms.IntegerField(
        label=_("At least (years of experience)"), required=False, min_value=0
    )
    min_salary = forms.DecimalField(label=_("Salary from (SAR)"), required=False, min_value=0)
    max_salary = forms.DecimalField(label=_("Salary up to (SAR)"), required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nationality"].queryset = _countries()
        self.fields["occupation"].queryset = _occupations()
        for name in ("min_salary", "max_salary", "min_experience"):
            self.fields[name].widget.attrs.update(inputmode="numeric")

    def clean(self):
        data = super().clean()
        low, high = data.get("min_salary"), data.get("max_salary")
        if low is not None and high is not None and low > high:
            self.add_error("max_salary", _("The highest salary must not be below the lowest."))
        return data
