"""The employer's file: identity, contact, address, family, income and the workers it employs."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from musaned.policy.models import Country, Occupation, Residency
from musaned.storage import private_storage

from .validators import (
    validate_additional_number,
    validate_building_number,
    validate_national_id,
    validate_postal_code,
    validate_saudi_mobile,
)


class IdentityStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Not confirmed")


class MaritalStatus(models.TextChoices):
    SINGLE = "single", _("Single")
    MARRIED = "married", _("Married")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class Household(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="household",
        verbose_name=_("account"),
    )
    national_id = models.CharField(
        _("national ID / iqama number"), max_length=10, unique=True, validators=[validate_national_id]
    )
    residency = models.CharField(_("citizen or resident"), max_length=10, choices=Residency.choices)
    nationality = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("nationality"),
    )
    name_ar = models.CharField(_("full name in Arabic"), max_length=150)
    name_en = models.CharField(_("full name in Latin letters"), max_length=150)
    date_of_birth = models.DateField(_("date of birth"))
    marital_status = models.CharField(_("marital status"), max_length=10, choices=MaritalStatus.choices)
    has_registered_disability = models.BooleanField(_("registered person with a disability"), default=False)

    mobile = models.CharField(_("mobile number"), max_length=13, validators=[validate_saudi_mobile])
    mobile_verified_at = models.DateTimeField(_("mobile verified at"), null=True, blank=True)
    city = models.CharField(_("city"), max_length=60)

    building_number = models.CharField(
        _("building number"), max_length=4, validators=[validate_building_number]
    )
    street = models.CharField(_("street"), max_length=120)
    district = models.CharField(_("district"), max_length=120)
    address_city = models.CharField(_("address city"), max_length=60)
    postal_code = models.CharField(_("postal code"), max_length=5, validators=[validate_postal_code])
    additional_number = models.CharField(
        _("additional number"), max_length=4, validators=[validate_additional_number]
    )

    monthly_income = models.DecimalField(
        _("monthly income (SAR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    bank_balance = models.DecimalField(
        _("bank balance (SAR)"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    identity_status = FSMField(
        _("identity"), default=IdentityStatus.PENDING, choices=IdentityStatus.choices, protected=True
    )
    identity_checked_at = models.DateTimeField(_("identity checked at"), null=True, blank=True)
    identity_problem = models.CharField(_("why identity is not confirmed"), max_length=200, blank=True)

    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        permissions = [
            ("manage_own_household", _("Can register and update an own household")),
            ("view_any_household", _("Can see any household's file")),
            ("download_any_proof", _("Can download any household's proof documents")),
        ]

    def __str__(self) -> str:
        return f"{self.name_ar} ({self.national_id})"

    @property
    def identity_confirmed(self) -> bool:
        return self.identity_status == IdentityStatus.CONFIRMED

    @transition(
        field=identity_status,
        source=[IdentityStatus.PENDING, IdentityStatus.REJECTED],
        target=IdentityStatus.CONFIRMED,
    )
    def confirm_identity(self) -> None:
        self.identity_problem = ""

    @transition(field=identity_status, source=[IdentityStatus.PENDING], target=IdentityStatus.REJECTED)
    def reject_identity(self, problem: str) -> None:
        self.identity_problem = problem[:200]

    @transition(
        field=identity_status,
        source=[IdentityStatus.CONFIRMED, IdentityStatus.REJECTED],
        target=IdentityStatus.PENDING,
    )
    def reopen_identity(self) -> None:
        """Identity facts changed: the identity service must confirm them again."""
        self.identity_problem = ""


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    SON = "son", _("Son")
    DAUGHTER = "daughter", _("Daughter")
    PARENT = "parent", _("Parent")
    OTHER = "other", _("Other relative")


class HouseholdMember(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=150)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    date_of_birth = models.DateField(_("date of birth"))
    national_id = models.CharField(
        _("national ID / iqama number"), max_length=10, blank=True, validators=[validate_national_id]
    )
    has_special_needs = models.BooleanField(_("needs special care"), default=False)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ProofKind(models.TextChoices):
    SALARY_CERTIFICATE = "salary_certificate", _("Salary certificate")
    BANK_STATEMENT = "bank_statement", _("Bank statement")
    SOCIAL_INSURANCE = "social_insurance", _("Social-insurance certificate (residents)")


def proof_upload_to(instance: "IncomeProof", filename: str) -> str:
    """A random name: the stored path reveals neither the household nor the original name."""
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        instance.content_type, "bin"
    )
    return f"proofs/{uuid.uuid4().hex}.{extension}"


class IncomeProof(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="income_proofs")
    kind = models.CharField(_("document"), max_length=20, choices=ProofKind.choices)
    issued_on = models.DateField(_("issued on"))
    file = models.FileField(_("file"), storage=private_storage, upload_to=proof_upload_to)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )

    class Meta:
        verbose_name = _("income proof")
        verbose_name_plural = _("income proofs")
        ordering = ["-issued_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.issued_on}"


class EmployedWorker(models.Model):
    """A domestic worker the household employs now (entered by the household or added on arrival)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="workers")
    name = models.CharField(_("worker's name"), max_length=150)
    nationality = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("nationality")
    )
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="+", verbose_name=_("occupation")
    )
    iqama_number = models.CharField(_("iqama / border number"), max_length=10, blank=True)
    passport_number = models.CharField(_("passport number"), max_length=20, blank=True)
    employed_since = models.DateField(_("employed since"))
    ended_on = models.DateField(_("employment ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("employed worker")
        verbose_name_plural = _("employed workers")
        ordering = ["employed_since", "id"]
        # The passports feed finds the employment of each worker it reports on by one of these numbers.
        indexes = [
            models.Index(fields=["passport_number"], name="households_worker_passport"),
            models.Index(fields=["iqama_number"], name="households_worker_iqama"),
        ]

    def __str__(self) -> str:
        return self.name


class FlagKind(models.TextChoices):
    ABSENT = "absent", _("Absent from work")
    IMPRISONED = "imprisoned", _("In custody")


class FlagState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class EmploymentFlag(models.Model):
    """The passports service reported the worker absent from work or in custody.

    Open until the ministry closes it with a note, or, for an absence, until the service reports her
    back in residence (closed with no officer). One open flag of each kind per employment.
    """

    worker = models.ForeignKey(
        EmployedWorker, on_delete=models.CASCADE, related_name="flags", verbose_name=_("worker")
    )
    kind = models.CharField(_("reported status"), max_length=10, choices=FlagKind.choices)
    since = models.DateField(_("since"))
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    feed_run = models.ForeignKey(
        "registry.FeedRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by the feed of"),
    )
    state = FSMField(_("state"), default=FlagState.OPEN, choices=FlagState.choices, protected=True)
    cleared_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("employment flag")
        verbose_name_plural = _("employment flags")
        ordering = ["since", "id"]
        permissions = [
            (
                "handle_employment_flags",
                _("Can see and close the absence and custody reports on employments"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "kind"],
                condition=Q(state="open"),
                name="households_one_open_flag_per_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["since", "id"], condition=Q(state="open"), name="households_open_flags_by_since"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.since})"

    @transition(field=state, source=FlagState.OPEN, target=FlagState.CLOSED)
    def close(self, *, at, by=None, note: str = "") -> None:
        """Closed by an officer (with a note), or by the system when the worker is reported back."""
        self.cleared_at = at
        self.cleared_by = by
        self.note = note[:500]


class PhoneVerification(models.Model):
    """A one-time code sent by SMS; only its hash is kept."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="phone_verifications")
    mobile = models.CharField(max_length=13)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.mobile} {self.created_at:%Y-%m-%d %H:%M}"
