"""Recruitment offices and the people who work in them."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .validators import validate_cr_number


class Office(models.Model):
    """A licensed recruitment company: a commercial registration, a ministry licence, a bank guarantee."""

    name_ar = models.CharField(_("name (Arabic)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    cr_number = models.CharField(
        _("commercial registration number"), max_length=10, unique=True, validators=[validate_cr_number]
    )
    licence_number = models.CharField(_("licence number"), max_length=30)
    licence_valid_until = models.DateField(_("licence valid until"))
    bank_guarantee_amount = models.DecimalField(
        _("bank guarantee (SAR)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    city = models.CharField(_("city"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("e-mail address"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recruitment office")
        verbose_name_plural = _("recruitment offices")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ar").startswith("en") else self.name_ar

    @property
    def licence_valid(self) -> bool:
        return self.licence_valid_until >= timezone.localdate()


class OfficeRole(models.TextChoices):
    MANAGER = "manager", _("Manager")
    STAFF = "staff", _("Staff")


class OfficeMembership(models.Model):
    """A person works for exactly one office; the manager adds and removes staff."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("office")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="office_membership",
        verbose_name=_("account"),
    )
    role = models.CharField(_("role"), max_length=10, choices=OfficeRole.choices, default=OfficeRole.STAFF)
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("office membership")
        verbose_name_plural = _("office memberships")
        ordering = ["role", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.office})"

    @property
    def is_manager(self) -> bool:
        return self.role == OfficeRole.MANAGER
