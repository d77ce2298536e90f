"""Dated rule sets and reference data: every number the business uses lives here, not in code."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class BilingualName(models.Model):
    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ar").startswith("en") else self.name_ar


class Country(BilingualName):
    """A source country of workers; its worker language picks the contract's third section."""

    code = models.CharField(_("ISO code"), max_length=2, unique=True)
    worker_language = models.CharField(_("worker language"), max_length=8, default="en")
    active = models.BooleanField(_("open for recruitment"), default=True)

    class Meta:
        verbose_name = _("source country")
        verbose_name_plural = _("source countries")
        ordering = ["name_en"]


class Occupation(BilingualName):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    requires_medical_report = models.BooleanField(_("needs a medical report"), default=False)
    added_in = models.PositiveSmallIntegerField(_("added in (year)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")
        ordering = ["name_en"]


class RuleSet(models.Model):
    """The figures in force from `effective_from` until the next rule set starts."""

    name = models.CharField(_("name"), max_length=120)
    effective_from = models.DateField(_("in force from"), unique=True)
    notes = models.TextField(_("legal basis / notes"), blank=True)

    min_applicant_age = models.PositiveSmallIntegerField(_("minimum age of a single applicant"), default=21)
    income_proof_max_age_days = models.PositiveSmallIntegerField(
        _("income proof valid for (days)"), default=60
    )
    resident_may_recruit_compatriot = models.BooleanField(
        _("a resident may recruit a compatriot"), default=False
    )

    visa_fee = models.DecimalField(_("visa fee (SAR)"), default=Decimal("2000.00"), **MONEY)
    eservice_fee = models.DecimalField(
        _("e-service fee for a replacement or re-application (SAR)"), default=Decimal("172.50"), **MONEY
    )
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4, default=Decimal("0.15"))
    disability_fee_exempt = models.BooleanField(
        _("registered disability exempts from the visa fee"), default=True
    )
    visa_validity_days = models.PositiveIntegerField(_("visa validity (days)"), default=730)
    visa_income_tolerance = models.DecimalField(
        _("stated income may differ from the declared income by this share before an officer looks"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
    )
    visa_decision_hours = models.PositiveSmallIntegerField(_("visa decision due within (hours)"), default=24)
    visa_cancel_max_age_days = models.PositiveIntegerField(
        _("visa cancellable until (days old)"), default=730
    )
    replacement_return_window_days = models.PositiveSmallIntegerField(
        _("replacement visa if the worker leaves within (days of arrival)"), default=90
    )

    office_answer_days_with_visa = models.PositiveSmallIntegerField(
        _("office answers within (days, visa issued)"), default=2
    )
    office_answer_days_new_visa = models.PositiveSmallIntegerField(
        _("office answers within (days, new visa)"), default=7
    )
    worker_acceptance_days = models.PositiveSmallIntegerField(
        _("worker accepts the contract within (days)"), default=5
    )
    delivery_days = models.PositiveSmallIntegerField(_("delivery within (days after payment)"), default=90)
    delivery_extension_days = models.PositiveSmallIntegerField(_("one delivery extension (days)"), default=30)
    handover_hours = models.PositiveSmallIntegerField(_("hand-over after arrival within (hours)"), default=24)
    guarantee_days = models.PositiveSmallIntegerField(_("guarantee period (days from arrival)"), default=90)
    complaint_response_days = models.PositiveSmallIntegerField(
        _("office answers a complaint within (days)"), default=10
    )
    deadline_alert_days = models.CharField(
        _("alert this many days before a deadline (comma-separated)"), max_length=40, default="7,3,1"
    )

    delay_penalty_per_day = models.DecimalField(
        _("late-delivery penalty per day (SAR)"), default=Decimal("100.00"), **MONEY
    )
    delay_penalty_cap_percent = models.DecimalField(
        # xgettext:no-python-format
        _("late-delivery penalty cap (% of contract)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("25.00"),
    )
    office_cancellation_penalty_percent = models.DecimalField(
        # xgettext:no-python-format
        _("penalty when the office cancels (% of contract)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
    )

    cancel_fee_percent_paid = models.DecimalField(
        # xgettext:no-python-format
        _("household cancels after paying, before any step (% of contract)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5.00"),
    )
    cancel_fee_percent_in_process = models.DecimalField(
        # xgettext:no-python-format
        _("household cancels after the foreign-ministry authorisation (% of contract)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
    )
    cancel_fee_percent_stamped = models.DecimalField(
        # xgettext:no-python-format
        _("household cancels after embassy stamping (% of contract)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("15.00"),
    )
    trust_release_percent_on_arrival = models.DecimalField(
        # xgettext:no-python-format
        _("released to the office on hand-over (% of contract; the rest after the guarantee)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50.00"),
    )
    contract_months = models.PositiveSmallIntegerField(_("contract length (months)"), default=24)
    sms_per_hour = models.PositiveSmallIntegerField(
        _("text messages to one number per hour (more wait for the next hour; security codes never wait)"),
        default=6,
    )
    emails_per_hour = models.PositiveSmallIntegerField(
        _("e-mails to one address per hour (more wait for the next hour; security messages never wait)"),
        default=20,
    )

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ["-effective_from"]

    # Wording only: everything else is a figure that decided cases once the set came into force.
    EDITABLE_AFTER_START = frozenset({"name", "notes"})

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%Y-%m-%d})"

    def alert_days(self) -> list[int]:
        return sorted(
            {int(part) for part in self.deadline_alert_days.split(",") if part.strip()}, reverse=True
        )

    @classmethod
    def figure_fields(cls) -> list[str]:
        return [
            field.name
            for field in cls._meta.concrete_fields
            if not field.primary_key and field.name not in cls.EDITABLE_AFTER_START
        ]

    def has_started(self) -> bool:
        """In force today or earlier: cases may have been judged under it, so its figures are frozen."""
        return self.effective_from is not None and self.effective_from <= timezone.localdate()

    def stored_version(self) -> "RuleSet | None":
        """The saved row, to compare an edit against what cases were judged under."""
        return RuleSet.objects.filter(pk=self.pk).first() if self.pk else None

    def clean(self) -> None:
        super().clean()
        stored = self.stored_version()
        if stored is not None and stored.has_started():
            changed = [name for name in self.figure_fields() if getattr(self, name) != getattr(stored, name)]
            if changed:
                raise ValidationError(
                    _(
                        "This rule set has been in force since %(date)s, so its figures can no longer "
                        "change. Copy it to a new date instead."
                    )
                    % {"date": formats.date_format(stored.effective_from)},
                    code="rule_set_started",
                )
        elif self.effective_from is not None and self.has_started():
            raise ValidationError(
                {
                    "effective_from": _(
                        "A new rule set must start tomorrow or later: cases already decided keep the rules "
                        "they were decided under."
                    )
                },
                code="starts_in_past",
            )
        try:
            self.alert_days()
        except ValueError:
            raise ValidationError(
                {
                    "deadline_alert_days": _(
                        "Write whole numbers of days separated by commas, for example 7,3,1."
                    )
                }
            ) from None

    def tiers_for(self, residency: str) -> list["EligibilityTier"]:
        """The tiers of one kind of applicant, in visa order (uses prefetched tiers when present)."""
        return sorted(
            (tier for tier in self.tiers.all() if tier.residency == residency), key=lambda t: t.ordinal
        )

    def rule_for_country(self, country: "Country") -> "CountryRule | None":
        """This set's ceiling, delivery time and minimum wage for a source country, if it sets any."""
        return next((rule for rule in self.country_rules.all() if rule.country_id == country.pk), None)


def _refuse_if_started(rule_set: RuleSet | None) -> None:
    stored = rule_set.stored_version() if rule_set is not None else None
    if stored is not None and stored.has_started():
        raise ValidationError(
            _(
                "The rule set %(name)s is already in force, so its tiers and country rules can no longer "
                "change. Copy it to a new date instead."
            )
            % {"name": stored},
            code="rule_set_started",
        )


class Residency(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    RESIDENT = "resident", _("Resident")


class EligibilityTier(models.Model):
    """The n-th visa a household may hold needs this salary, or this bank balance."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="tiers")
    residency = models.CharField(_("applicant"), max_length=10, choices=Residency.choices)
    ordinal = models.PositiveSmallIntegerField(_("visa number"), validators=[MinValueValidator(1)])
    min_monthly_salary = models.DecimalField(
        _("minimum monthly salary with proof (SAR)"),
        null=True,
        blank=True,
        help_text=_("Empty: a salary does not qualify for this tier; 0: any proven salary."),
        **MONEY,
    )
    min_balance = models.DecimalField(_("or minimum bank balance (SAR)"), null=True, blank=True, **MONEY)

    class Meta:
        verbose_name = _("eligibility tier")
        verbose_name_plural = _("eligibility tiers")
        ordering = ["residency", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "residency", "ordinal"], name="one_tier_per_ordinal")
        ]

    def __str__(self) -> str:
        return f"{self.get_residency_display()} #{self.ordinal}"

    def clean(self) -> None:
        super().clean()
        _refuse_if_started(self.rule_set if self.rule_set_id else None)
        if self.min_monthly_salary is None and self.min_balance is None:
            raise ValidationError(_("Give a minimum salary, a minimum bank balance, or both."))


class CountryRule(models.Model):
    """Per source country, under one rule set: price ceiling, delivery time, minimum wage."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="country_rules")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="rules")
    price_ceiling = models.DecimalField(
        _("recruitment price ceiling excl. VAT (SAR)"), null=True, blank=True, **MONEY
    )
    delivery_days = models.PositiveSmallIntegerField(_("delivery days"), null=True, blank=True)
    min_monthly_wage = models.DecimalField(_("minimum monthly wage (SAR)"), null=True, blank=True, **MONEY)

    class Meta:
        verbose_name = _("country rule")
        verbose_name_plural = _("country rules")
        constraints = [models.UniqueConstraint(fields=["rule_set", "country"], name="one_rule_per_country")]

    def __str__(self) -> str:
        return f"{self.country} / {self.rule_set}"

    def clean(self) -> None:
        super().clean()
        _refuse_if_started(self.rule_set if self.rule_set_id else None)
