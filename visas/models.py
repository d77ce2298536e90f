"""Domestic-worker visas: the application, its review and the visa's life until used, cancelled or expired."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from households.models import Household
from musaned.policy.models import Country, Occupation, RuleSet


class VisaState(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    UNDER_REVIEW = "under_review", _("Under review")
    ISSUED = "issued", _("Issued")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn unpaid")
    ACTIVATED = "activated", _("Activated")
    USED = "used", _("Used")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


# States in which a visa counts against the household's eligibility tier.
HELD_STATES = (VisaState.AWAITING_PAYMENT, VisaState.UNDER_REVIEW, VisaState.ISSUED, VisaState.ACTIVATED)


class VisaKind(models.TextChoices):
    NEW = "new", _("New visa")
    REAPPLICATION = "reapplication", _("Re-application")
    REPLACEMENT = "replacement", _("Replacement visa")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class ArrivalCity(models.TextChoices):
    RIYADH = "RUH", _("Riyadh (King Khalid International Airport)")
    JEDDAH = "JED", _("Jeddah (King Abdulaziz International Airport)")
    DAMMAM = "DMM", _("Dammam (King Fahd International Airport)")
    MADINAH = "MED", _("Madinah (Prince Mohammad bin Abdulaziz Airport)")
    ABHA = "AHB", _("Abha International Airport")
    TAIF = "TIF", _("Taif International Airport")
    TABUK = "TUU", _("Tabuk (Prince Sultan bin Abdulaziz Airport)")
    QASSIM = "ELQ", _("Qassim (Prince Nayef bin Abdulaziz Airport)")
    HAIL = "HAS", _("Hail International Airport")
    JAZAN = "GIZ", _("Jazan (King Abdullah bin Abdulaziz Airport)")


class RejectionReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("The household is not eligible for another visa")
    INCOME_MISMATCH = "income_mismatch", _("The stated income does not match the proof")
    PROOF_UNREADABLE = "proof_unreadable", _("The income proof cannot be read")
    PROOF_NOT_AUTHENTIC = "proof_not_authentic", _("The income proof is not authentic")
    COMPATRIOT = "compatriot", _("A resident may not recruit a compatriot")
    INCOMPLETE = "incomplete", _("The application is incomplete")
    OTHER = "other", _("Other reason (explained below)")


class Visa(ConcurrentTransitionMixin, models.Model):
    """One application and, once issued, the visa itself; `state` says which it is now."""

    reference = models.CharField(_("application number"), max_length=16, unique=True)
    number = models.CharField(_("visa number"), max_length=10, unique=True, null=True, blank=True)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="visas")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("applied by")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=VisaKind.choices, default=VisaKind.NEW)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacement",
        verbose_name=_("replaces visa"),
    )

    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="+", verbose_name=_("occupation")
    )
    nationality = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("nationality")
    )
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    arrival_city = models.CharField(_("arrival airport"), max_length=3, choices=ArrivalCity.choices)
    stated_income = models.DecimalField(_("stated monthly income (SAR)"), max_digits=12, decimal_places=2)

    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("rules applied")
    )
    fee_amount = models.DecimalField(_("fee (SAR)"), max_digits=12, decimal_places=2)
    fee_formula = models.CharField(_("how the fee was computed"), max_length=300)
    bill = models.OneToOneField(
        "billing.Bill",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bill"),
    )

    state = FSMField(
        _("state"), default=VisaState.AWAITING_PAYMENT, choices=VisaState.choices, protected=True
    )
    submitted_at = models.DateTimeField(_("applied at"), auto_now_add=True)
    review_started_at = models.DateTimeField(_("review started at"), null=True, blank=True)
    decision_due_at = models.DateTimeField(_("decision due by"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    rejection_reason = models.CharField(
        _("reason"), max_length=24, choices=RejectionReason.choices, blank=True
    )
    decision_note = models.TextField(_("officer's note"), blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    activation_ref = models.CharField(_("activation reference"), max_length=64, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("cancelled or expired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("visa")
        verbose_name_plural = _("visas")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["state", "decision_due_at"]),
            models.Index(fields=["state", "valid_until"]),
        ]
        permissions = [
            ("review_visa", _("Can review visa applications and decide them")),
            ("supervise_visa_review", _("Is alerted about visa decisions running late")),
        ]

    def __str__(self) -> str:
        return self.number or self.reference

    def document_status(self, document) -> tuple[bool, str]:
        """What the public check of the printed visa says (asked by musaned.documents)."""
        from .selectors import visa_document_status

        return visa_document_status(visa=self)

    @transition(field=state, source=VisaState.AWAITING_PAYMENT, target=VisaState.UNDER_REVIEW)
    def start_review(self, *, at, decision_due_at) -> None:
        """The fee is paid (or waived): the application goes to review."""
        self.review_started_at, self.decision_due_at = at, decision_due_at

    @transition(field=state, source=VisaState.AWAITING_PAYMENT, target=VisaState.WITHDRAWN)
    def withdraw(self, *, at) -> None:
        """The fee bill expired unpaid or the household withdrew before paying."""
        self.closed_at = at

    @transition(field=state, source=VisaState.UNDER_REVIEW, target=VisaState.ISSUED)
    def issue(self, *, number: str, at, valid_until, decided_by=None) -> None:
        self.number, self.issued_at, self.valid_until = number, at, valid_until
        self.decided_at, self.decided_by = at, decided_by

    @transition(field=state, source=VisaState.UNDER_REVIEW, target=VisaState.REJECTED)
    def reject(self, *, reason: str, note: str, at, decided_by=None) -> None:
        self.rejection_reason, self.decision_note = reason, note
        self.decided_at, self.decided_by = at, decided_by

    @transition(field=state, source=VisaState.ISSUED, target=VisaState.ACTIVATED)
    def activate(self, *, reference: str, at) -> None:
        self.activation_ref, self.activated_at = reference, at

    @transition(field=state, source=[VisaState.ISSUED, VisaState.ACTIVATED], target=VisaState.USED)
    def use(self, *, at) -> None:
        """A worker arrived on this visa."""
        self.used_at = at

    @transition(field=state, source=[VisaState.ISSUED, VisaState.ACTIVATED], target=VisaState.CANCELLED)
    def cancel(self, *, at) -> None:
        self.closed_at = at

    @transition(field=state, source=[VisaState.ISSUED, VisaState.ACTIVATED], target=VisaState.EXPIRED)
    def expire(self, *, at) -> None:
        self.closed_at = at


class FindingVerdict(models.TextChoices):
    PASS = "pass", _("Passed")
    REFER = "refer", _("Needs an officer")
    REJECT = "reject", _("Rejected by rule")


class ReviewFinding(models.Model):
    """What one automatic review rule found; officers see these on the case page."""

    visa = models.ForeignKey(Visa, on_delete=models.CASCADE, related_name="findings")
    rule = models.CharField(_("rule"), max_length=40)
    verdict = models.CharField(_("result"), max_length=8, choices=FindingVerdict.choices)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review finding")
        verbose_name_plural = _("review findings")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["visa", "rule"], name="one_finding_per_rule")]

    def __str__(self) -> str:
        return f"{self.rule}: {self.verdict}"
