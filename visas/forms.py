"""The household's visa forms: they check what was typed; the visa services check everything else."""

from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from households.forms import DigitsCleaningMixin, by_name
from musaned.policy.models import Country, Occupation

from .models import ArrivalCity, Gender


class ApplyForm(DigitsCleaningMixin, forms.Form):
    """A domestic-worker visa application; `token` makes a second click on "Apply" harmless."""

    digit_fields = ("stated_income",)

    occupation = forms.ModelChoiceField(
        label=_("occupation"), queryset=Occupation.objects.none(), empty_label=_("Choose an occupation")
    )
    nationality = forms.ModelChoiceField(
        label=_("nationality"), queryset=Country.objects.none(), empty_label=_("Choose a country")
    )
    gender = forms.ChoiceField(label=_("gender"), choices=Gender.choices, widget=forms.RadioSelect)
    arrival_city = forms.ChoiceField(
        label=_("arrival airport"), choices=[("", _("Choose an airport")), *ArrivalCity.choices]
    )
    stated_income = forms.DecimalField(
        label=_("your monthly income (SAR)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), message=_("The income cannot be negative."))],
        help_text=_("As on your salary certificate; it is checked against your income proof."),
        widget=forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal", "dir": "ltr"}),
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occupation"].queryset = by_name(Occupation.objects.filter(active=True))
        self.fields["nationality"].queryset = by_name(Country.objects.filter(active=True))
