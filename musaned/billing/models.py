"""Bills paid through the payment gateway, what was received for them, and refunds.

A bill belongs to a subject (a visa, a contract) in a higher app; billing tells it about payments
and refunds through the signals in signals.py, never by importing it.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class BillPurpose(models.TextChoices):
    VISA_FEE = "visa_fee", _("Visa fee")
    ESERVICE_FEE = "eservice_fee", _("E-service fee")
    CONTRACT = "contract", _("Recruitment contract")


class BillState(models.TextChoices):
    OPEN = "open", _("Awaiting payment")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired unpaid")
    CANCELLED = "cancelled", _("Cancelled")


class Bill(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("bill number"), max_length=14, unique=True)
    purpose = models.CharField(_("for"), max_length=20, choices=BillPurpose.choices)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bills", verbose_name=_("payer")
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")

    amount = models.DecimalField(_("amount due (SAR)"), max_digits=12, decimal_places=2)
    vat_amount = models.DecimalField(
        _("of which VAT (SAR)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="SAR")
    formula = models.CharField(_("how the amount was computed"), max_length=300)
    rule_set = models.ForeignKey(
        "policy.RuleSet", on_delete=models.PROTECT, related_name="+", verbose_name=_("rule set applied")
    )

    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    due_at = models.DateTimeField(_("pay before"))
    state = FSMField(_("state"), default=BillState.OPEN, choices=BillState.choices, protected=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_amount = models.DecimalField(
        _("amount paid (SAR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    payment_ref = models.CharField(_("payment reference"), max_length=64, null=True, blank=True, unique=True)
    refunded_amount = models.DecimalField(
        _("refunded (SAR)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    # What the payer pays against at the bank, once the payment service has registered the bill.
    gateway_reference = models.CharField(_("payment service reference"), max_length=40, blank=True)
    registered_at = models.DateTimeField(_("registered with the payment service at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["state", "due_at"]),
        ]

    def __str__(self) -> str:
        return self.number

    @transition(field=state, source=BillState.OPEN, target=BillState.PAID)
    def mark_paid(self, *, amount: Decimal, payment_ref: str, paid_at) -> None:
        self.paid_amount, self.payment_ref, self.paid_at = amount, payment_ref, paid_at

    @transition(field=state, source=BillState.OPEN, target=BillState.EXPIRED)
    def expire(self) -> None:
        """The due time passed without payment."""

    @transition(field=state, source=BillState.OPEN, target=BillState.CANCELLED)
    def cancel(self) -> None:
        """The subject was withdrawn before payment."""

    @property
    def refundable_amount(self) -> Decimal:
        return (self.paid_amount or Decimal("0")) - self.refunded_amount

    def document_status(self, document) -> tuple[bool, str]:
        """What the verification page says about this bill's receipt: a genuine receipt stays genuine,
        and a refund since then is stated."""
        if self.state != BillState.PAID:
            return False, _("No payment is recorded for this bill")
        if self.refunded_amount >= (self.paid_amount or Decimal("0")):
            return True, _("Paid; the amount has since been refunded")
        if self.refunded_amount:
            return True, _("Paid; part of the amount has since been refunded")
        return True, _("Paid")


class NoticeOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DUPLICATE = "duplicate", _("Already recorded")
    REJECTED = "rejected", _("Rejected")


class PaymentNotice(models.Model):
    """Every payment notice received (callback or reconciliation), kept as it came, with what we did."""

    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=20)  # "callback", "reconciliation" or "demo"
    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, null=True, blank=True, related_name="notices", verbose_name=_("bill")
    )
    bill_number = models.CharField(max_length=40, blank=True)
    payment_ref = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(_("as received"), default=dict)
    outcome = models.CharField(_("outcome"), max_length=10, choices=NoticeOutcome.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("payment notice")
        verbose_name_plural = _("payment notices")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} {self.bill_number or '-'}: {self.outcome}"


class RefundState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SENT = "sent", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(ConcurrentTransitionMixin, models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount (SAR)"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    formula = models.CharField(_("how the amount was computed"), max_length=300)
    idempotency_key = models.CharField(max_length=80, unique=True)
    # The payment the money goes back to: the bill's own, or one that came after the bill had closed.
    payment_ref = models.CharField(_("payment reference"), max_length=64)
    unaccepted_payment = models.BooleanField(_("returns a payment the bill could not accept"), default=False)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    state = FSMField(_("state"), default=RefundState.REQUESTED, choices=RefundState.choices, protected=True)
    gateway_ref = models.CharField(_("refund reference"), max_length=64, blank=True)
    completed_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # While set and in the future, one worker is sending this refund: no other may send it too.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["state", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.bill.number}: {self.amount}"

    @transition(field=state, source=RefundState.REQUESTED, target=RefundState.SENT)
    def mark_sent(self, *, gateway_ref: str, completed_at) -> None:
        self.gateway_ref, self.completed_at, self.last_error = gateway_ref, completed_at, ""

    @transition(field=state, source=RefundState.REQUESTED, target=RefundState.FAILED)
    def mark_failed(self, *, error: str) -> None:
        self.last_error = error[:300]
