from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import MINISTRY_ROLES, OFFICE_ROLES, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """One account per person: sign-in is by e-mail; roles are groups (see roles.py)."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="ar"
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    lock_reason = models.CharField(_("lock reason"), max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("grant_delegation", _("Can grant delegations for an organisation")),
            ("view_security_alerts", _("Can see compromised-account alerts")),
            ("unlock_account", _("Can unlock a locked account")),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def role_names(self) -> set[str]:
        cached = getattr(self, "_role_names", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True))
            self._role_names = cached
        return cached

    def has_role(self, role: str) -> bool:
        return role in self.role_names()

    @property
    def is_household(self) -> bool:
        return self.has_role(Role.HOUSEHOLD)

    @property
    def is_office_staff(self) -> bool:
        return bool(self.role_names() & OFFICE_ROLES)

    @property
    def is_ministry(self) -> bool:
        return bool(self.role_names() & MINISTRY_ROLES)

    @property
    def requires_second_factor(self) -> bool:
        """Office and ministry staff and admins must sign in with a TOTP code."""
        return self.is_superuser or self.is_staff or self.is_office_staff or self.is_ministry


class DelegationScope(models.TextChoices):
    PROFILE = "profile", _("Profile and information updates")
    VISA_APPLICATIONS = "visa_applications", _("Visa applications")
    RECRUITMENT = "recruitment", _("Recruitment requests and contracts")
    COMPLAINTS = "complaints", _("Complaints")


class DelegationQuerySet(models.QuerySet):
    def active(self, on=None):
        today = timezone.localdate() if on is None else on
        return self.filter(revoked_at__isnull=True, valid_until__gte=today)


class Delegation(models.Model):
    """A named person may act for an account, within one scope, until a date."""

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="delegations_granted",
        verbose_name=_("account acted for"),
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="delegations_received",
        verbose_name=_("delegate"),
    )
    scope = models.CharField(_("scope"), max_length=32, choices=DelegationScope.choices)
    valid_until = models.DateField(_("valid until"))
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(principal=models.F("delegate")), name="delegation_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegate} → {self.principal} ({self.get_scope_display()})"

    def is_active(self, on=None) -> bool:
        today = timezone.localdate() if on is None else on
        return self.revoked_at is None and self.valid_until >= today


class AuditEvent(models.Model):
    """Who did what, when, for whom and from where: the trail behind every change."""

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acted"),
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("for account"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    from_state = models.CharField(_("from"), max_length=40, blank=True)
    to_state = models.CharField(_("to"), max_length=40, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("device"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
