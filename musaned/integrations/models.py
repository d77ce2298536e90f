from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
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
        indexes = [
            models.Index(fields=["gateway", "outcome", "started_at"]),
            models.Index(fields=["gateway", "started_at"]),
        ]

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
    refunds = models.JSONField(_("refunds by key"), default=dict, blank=True)
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


class CircuitState(models.TextChoices):
    CLOSED = "closed", _("Working")
    OPEN = "open", _("Down: calls are held back")
    HALF_OPEN = "half_open", _("Being tried again")


class GatewayCircuit(models.Model):
    """Whether calls to one outside system go through: shared by every web and worker process.

    No row means closed with no failures: rows appear on the first failure. See resilience.py.
    """

    gateway = models.CharField(
        _("outside system"), max_length=20, unique=True, choices=[(key, key) for key in GATEWAYS]
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CircuitState.choices, default=CircuitState.CLOSED
    )
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    opened_at = models.DateTimeField(_("down since"), null=True, blank=True)
    retry_at = models.DateTimeField(_("next try"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=GatewayCall.ERROR_MAX_LENGTH, blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("outside-system circuit")
        verbose_name_plural = _("outside-system circuits")
        ordering = ["gateway"]

    def __str__(self) -> str:
        return f"{self.gateway}: {self.state}"


class DeadlinePause(models.Model):
    """A time while an outside system was down: deadlines that depend on it do not run meanwhile.

    Opened when the system's circuit opens (from its first failure in a row), closed when it works
    again. `ended_at` is empty while the outage lasts. See musaned/deadlines.py.
    """

    gateway = models.CharField(_("outside system"), max_length=20, choices=[(key, key) for key in GATEWAYS])
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline pause")
        verbose_name_plural = _("deadline pauses")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["gateway", "started_at"])]
        constraints = [
            # At most one pause of a system is running at a time.
            models.UniqueConstraint(
                fields=["gateway"],
                condition=models.Q(ended_at__isnull=True),
                name="one_running_pause_per_gateway",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.started_at:%Y-%m-%d %H:%M} → {self.ended_at or '…'}"


class DeadLetterState(models.TextChoices):
    OPEN = "open", _("Waiting for a person")
    RETRIED = "retried", _("Sent again")
    DISCARDED = "discarded", _("Discarded")


class DeadLetter(models.Model):
    """A background task that gave up: its retries ran out, or it failed in a way retrying cannot fix.

    Kept with everything needed to run it again (tasks are idempotent) until someone in the back
    office sends it again or discards it. A task that fails again after being sent again gets a new
    row.
    """

    TEXT_MAX_LENGTH = 2000

    task_name = models.CharField(_("task"), max_length=200, db_index=True)
    task_id = models.CharField(_("task id"), max_length=64, db_index=True)
    args = models.JSONField(_("arguments"), default=list, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, encoder=DjangoJSONEncoder)
    exception_type = models.CharField(_("error type"), max_length=200)
    exception_text = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    first_failed_at = models.DateTimeField(_("first failed at"))
    last_failed_at = models.DateTimeField(_("last failed at"), db_index=True)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=DeadLetterState.choices,
        default=DeadLetterState.OPEN,
        db_index=True,
    )
    resolved_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    retry_task_id = models.CharField(_("new task id"), max_length=64, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        ordering = ["-last_failed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_name} [{self.task_id}]"
