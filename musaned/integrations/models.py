from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import GATEWAYS


class CallOutcome(models.TextChoices):
    OK = "ok", _("Answered")
    TIMEOUT = "timeout", _("No answer in time")
    ERROR = "error", _("Error")
    MALFORMED = "malformed", _("Unreadable answer")


class GatewayCall(models.Model):
    """One call to an outside system: enough to see outages and slowness, no personal data."""

    ERROR_MAX_LENGTH = 300

    gateway = models.CharField(_("outside system"), max_length=20, choices=[(key, key) for key in GATEWAYS])
    operation = models.CharField(_("operation"), max_length=40)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=CallOutcome.choices)
    error = models.CharField(_("error"), max_length=ERROR_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("outside-system call")
        verbose_name_plural = _("outside-system calls")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["gateway", "outcome", "started_at"])]

    def __str__(self) -> str:
        return f"{self.gateway}.{self.operation} {self.outcome}"


class FakeOutbox(models.Model):
    """What the fake SMS and e-mail gateways 'sent' (demo and tests only; production has none)."""

    channel = models.CharField(_("channel"), max_length=10)
    to = models.CharField(_("to"), max_length=254, db_index=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    provider_id = models.CharField(max_length=64)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fake outbox message")
        verbose_name_plural = _("fake outbox (demo)")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}"


class FakeBill(models.Model):
    """A bill held by the fake payment service (demo and tests only; production has none)."""

    bill_number = models.CharField(_("bill number"), max_length=40, unique=True)
    reference = models.CharField(_("payment reference"), max_length=40)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    due = models.DateField(_("due"))
    paid_amount = models.DecimalField(_("paid"), max_digits=12, decimal_places=2, null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_ref = models.CharField(_("payment"), max_length=40, blank=True, db_index=True)
    refunded = models.DecimalField(_("refunded"), max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fake bill")
        verbose_name_plural = _("fake bills (demo)")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.bill_number

    def status_reply(self) -> dict[str, Any]:
        """The bill as the payment service reports it (status answers and callbacks alike)."""
        if self.paid_at is None:
            return {"bill_number": self.bill_number, "status": "unpaid"}
        return {
            "bill_number": self.bill_number,
            "status": "paid",
            "paid_amount": f"{self.paid_amount:.2f}",
            "paid_at": self.paid_at.isoformat(),
            "payment_ref": self.payment_ref,
        }
