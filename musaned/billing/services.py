"""Bills, payments and refunds: every change to them happens here.

A bill is issued by the service of its subject (a visa, a contract) and registered with the payment
service by a task. A payment is recorded by exactly one function, whether a signed callback or the
reconciliation sweep brought it. A refund is asked for here and sent by a task. The subject hears of
payments, expiries and refunds through the signals in signals.py.

Functions that call the payment service (registration, reconciliation, expiry, the demo payment) do so
outside any transaction and write through the atomic functions here, one bill at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from musaned.accounts.actor import Actor
from musaned.accounts.services import audit_record
from musaned.deadlines import deadline_with_pauses
from musaned.integrations import replies
from musaned.integrations.base import GatewayError, MalformedReply, gateway
from musaned.integrations.interfaces import BillStatus
from musaned.policy.money import format_amount

from .models import Bill, BillPurpose, BillState, NoticeOutcome, PaymentNotice, Refund, RefundState
from .selectors import PURPOSE_SCOPES, RECEIPT_KIND, bills_to_reconcile, overdue_bills
from .signals import bill_expired, bill_paid, refund_completed

if TYPE_CHECKING:
    from musaned.accounts.models import User
    from musaned.documents.models import Document
    from musaned.policy.models import RuleSet

log = logging.getLogger(__name__)

BILL_NUMBER_DIGITS = 12
ISSUE_ATTEMPTS = 5
CENTS = Decimal("0.01")
# How long one attempt to send a refund may hold it; longer than any gateway call can take.
REFUND_CLAIM_SECONDS = 120
RECEIPT_TEMPLATE = "billing/receipt.html"
BODY_PREVIEW_BYTES = 2000


class PaymentOutcome(StrEnum):
    """What became of one payment notice; anything but the first two is a rejection."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"
    NOT_PAID = "not_paid"
    UNKNOWN_BILL = "unknown_bill"
    WRONG_CURRENCY = "wrong_currency"
    WRONG_AMOUNT = "wrong_amount"
    BILL_CLOSED = "bill_closed"
    REFERENCE_REUSED = "reference_reused"


# The answer the payment service gets for each outcome of its callback.
CALLBACK_STATUS = {
    PaymentOutcome.ACCEPTED: 200,
    PaymentOutcome.DUPLICATE: 200,
    PaymentOutcome.BAD_SIGNATURE: 403,
    PaymentOutcome.MALFORMED: 400,
    PaymentOutcome.NOT_PAID: 400,
    PaymentOutcome.UNKNOWN_BILL: 409,
    PaymentOutcome.WRONG_CURRENCY: 409,
    PaymentOutcome.WRONG_AMOUNT: 409,
    PaymentOutcome.BILL_CLOSED: 409,
    PaymentOutcome.REFERENCE_REUSED: 409,
}


def _money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENTS)


def new_bill_number() -> str:
    """Twelve random digits, never starting with 0: one bill's number tells nothing about another's."""
    smallest = 10 ** (BILL_NUMBER_DIGITS - 1)
    return str(smallest + secrets.randbelow(9 * smallest))


def _enqueue_on_commit(task_name: str, *args: Any) -> None:
    """Start a billing task once the transaction commits.

    robust: a broker that is down must not undo the committed change; the sweeps in tasks.py pick up
    bills and refunds whose task was lost.
    """

    def enqueue() -> None:
        from . import tasks

        getattr(tasks, task_name).delay(*args)

    transaction.on_commit(enqueue, robust=True)


def require_bill_access(actor: Actor, bill: Bill) -> None:
    """Only the payer, or a delegate whose scope covers this kind of bill, may act on it."""
    if bill.payer_id != actor.principal.pk:
        raise PermissionDenied(_("This bill is not yours."))
    actor.require_scope(PURPOSE_SCOPES[bill.purpose])


# --- issuing -----------------------------------------------------------------------------------


@transaction.atomic
def bill_issue(
    *,
    payer: User,
    subject: models.Model,
    purpose: str,
    amount: Decimal,
    formula: str,
    rule_set: RuleSet,
    vat_amount: Decimal = Decimal("0"),
    due_in: dt.timedelta = dt.timedelta(days=3),
) -> Bill:
    """Bill `payer` for `subject`; the payment service learns of the bill once this commits.

    `amount` is what is paid, VAT included (`vat_amount` is the VAT part of it). A fee waived in full
    needs no bill: the amount must be above zero. Whether the payer owes this is the caller's decision.
    """
    if purpose not in BillPurpose.values:
        raise ValueError(f"bill_issue: unknown purpose {purpose!r}")
    if subject.pk is None:
        raise ValueError("bill_issue: bills are issued for saved records only")
    amount, vat_amount = _money(amount), _money(vat_amount)
    if amount <= 0:
        raise ValueError("bill_issue: a bill is for more than zero; a waived fee needs no bill")
    if not Decimal("0") <= vat_amount <= amount:
        raise ValueError("bill_issue: the VAT is part of the amount")

    bill = Bill(
        payer=payer,
        subject=subject,
        purpose=purpose,
        amount=amount,
        vat_amount=vat_amount,
        formula=formula[:300],
        rule_set=rule_set,
        due_at=timezone.now() + due_in,
    )
    for attempt in range(1, ISSUE_ATTEMPTS + 1):
        bill.number = new_bill_number()
        try:
            with transaction.atomic():
                bill.save()
            break
        except IntegrityError:
            # Another bill drew the same number (one chance in many billions): draw again.
            if attempt == ISSUE_ATTEMPTS:
                raise
    audit_record(
        action="billing.bill_issued",
        actor=None,
        target=bill,
        to_state=bill.state,
        changes={
            "number": bill.number,
            "purpose": purpose,
            "amount": str(amount),
            "vat_amount": str(vat_amount),
            "formula": bill.formula,
            "subject": f"{subject._meta.label_lower}:{subject.pk}",
            "due_at": bill.due_at.isoformat(),
        },
    )
    _enqueue_on_commit("bill_register", bill.pk)
    return bill


def bill_register_at_gateway(*, bill_id: int) -> Bill | None:
    """Make sure the payment service knows this open bill; call outside a transaction.

    Idempotent: the payment service returns the same bill for the same number. Raises GatewayError
    when the service cannot be reached (the task retries).
    """
    bill = Bill.objects.filter(pk=bill_id, state=BillState.OPEN).first()
    if bill is None or bill.registered_at is not None:
        return bill
    registered = gateway("payment").create_bill(
        bill_number=bill.number,
        amount=bill.amount,
        currency=bill.currency,
        due=timezone.localdate(bill.due_at),
    )
    return bill_record_registration(bill_id=bill.pk, reference=registered.reference)


@transaction.atomic
def bill_record_registration(*, bill_id: int, reference: str) -> Bill:
    """The payment service registered the bill: keep the reference the payer pays against."""
    bill = Bill.objects.select_for_update().get(pk=bill_id)
    if bill.registered_at is None:
        bill.gateway_reference, bill.registered_at = reference[:40], timezone.now()
        bill.save(update_fields=["gateway_reference", "registered_at"])
        audit_record(
            action="billing.bill_registered",
            actor=None,
            target=bill,
            changes={"gateway_reference": bill.gateway_reference},
        )
    return bill


@transaction.atomic
def bill_cancel(*, bill: Bill, actor: Actor | None) -> Bill:
    """Withdraw an unpaid bill because its subject no longer needs it (the application was withdrawn).

    Money paid for it afterwards is returned automatically (see bill_record_payment).
    """
    if actor is not None:
        require_bill_access(actor, bill)
    bill = Bill.objects.select_for_update().get(pk=bill.pk)
    if bill.state == BillState.CANCELLED:
        return bill
    if bill.state != BillState.OPEN:
        raise ValidationError(_("Only a bill that has not been paid can be cancelled."))
    bill.cancel()
    bill.save()
    audit_record(
        action="billing.bill_cancelled",
        actor=actor,
        target=bill,
        from_state=BillState.OPEN,
        to_state=bill.state,
    )
    return bill


# --- payments ----------------------------------------------------------------------------------


@transaction.atomic
def payment_notice_reject(
    *, source: str, outcome: PaymentOutcome, reason: str, payload: dict[str, Any], bill_number: str = ""
) -> PaymentNotice:
    """Keep a notice that could not be believed or read, with why: it changes nothing else."""
    notice = PaymentNotice.objects.create(
        source=source,
        bill_number=bill_number[:40],
        payload=payload,
        outcome=NoticeOutcome.REJECTED,
        reason=f"{outcome}: {reason}"[:200],
    )
    audit_record(
        action="billing.payment_notice_rejected",
        actor=None,
        target=notice,
        changes={"source": source, "outcome": str(outcome)},
    )
    log.warning("payment notice from %s rejected: %s (%s)", source, outcome, reason)
    return notice


@transaction.atomic
def bill_record_payment(
    *,
    bill_number: str,
    amount: Decimal,
    currency: str,
    payment_ref: str,
    paid_at: dt.datetime,
    source: str,
    payload: dict[str, Any],
) -> tuple[Bill | None, str]:
    """The one way a payment is recorded, from a callback or from reconciliation.

    Returns the bill (None when unknown) and a PaymentOutcome. Every notice is kept, whatever its
    outcome. The same payment twice is recorded once ("duplicate"). A payment that does not match
    the bill changes nothing. Money paid for a bill that is no longer open (expired, cancelled, or
    paid already under another reference) is rejected and sent back automatically.
    `bill_paid` goes out inside this transaction, so the subject's own change commits with the payment.
    """
    amount = _money(amount)
    bill = Bill.objects.select_for_update().filter(number=bill_number).first()

    def keep(outcome: PaymentOutcome, reason: str = "") -> tuple[Bill | None, str]:
        PaymentNotice.objects.create(
            source=source,
            bill=bill,
            bill_number=bill_number[:40],
            payment_ref=payment_ref[:64],
            payload=payload,
            outcome=outcome if outcome in NoticeOutcome.values else NoticeOutcome.REJECTED,
            reason=f"{outcome}: {reason}"[:200] if reason else "",
        )
        log.info("payment notice from %s for bill %s: %s %s", source, bill_number, outcome, reason)
        return bill, outcome

    if bill is None:
        return keep(PaymentOutcome.UNKNOWN_BILL, "no such bill")
    if bill.payment_ref == payment_ref:
        return keep(PaymentOutcome.DUPLICATE)
    if currency != bill.currency:
        return keep(PaymentOutcome.WRONG_CURRENCY, f"the bill is in {bill.currency}, not {currency}")
    if amount != bill.amount:
        log.error("bill %s: paid %s, the bill is for %s", bill.number, amount, bill.amount)
        return keep(PaymentOutcome.WRONG_AMOUNT, f"the bill is for {bill.amount}, not {amount}")
    if Bill.objects.filter(payment_ref=payment_ref).exclude(pk=bill.pk).exists():
        return keep(PaymentOutcome.REFERENCE_REUSED, "the payment reference belongs to another bill")
    if bill.state != BillState.OPEN:
        _return_unaccepted_payment(bill=bill, amount=amount, payment_ref=payment_ref)
        return keep(PaymentOutcome.BILL_CLOSED, f"the bill is {bill.state}; the money is sent back")

    bill.mark_paid(amount=amount, payment_ref=payment_ref, paid_at=paid_at)
    bill.save()
    result = keep(PaymentOutcome.ACCEPTED)
    audit_record(
        action="billing.bill_paid",
        actor=None,
        target=bill,
        from_state=BillState.OPEN,
        to_state=bill.state,
        changes={"amount": str(amount), "payment_ref": payment_ref, "source": source},
    )
    bill_paid.send(sender=Bill, bill=bill)
    _enqueue_on_commit("render_receipt", bill.pk)
    return result


def _return_unaccepted_payment(*, bill: Bill, amount: Decimal, payment_ref: str) -> Refund:
    """Money came for a bill that can no longer take it: send it back in full, once per payment."""
    refund, created = Refund.objects.get_or_create(
        idempotency_key=f"unaccepted:{payment_ref}"[:80],
        defaults={
            "bill": bill,
            "amount": amount,
            "payment_ref": payment_ref,
            "unaccepted_payment": True,
            "reason": f"Paid after the bill was {bill.state}",
            "formula": f"{amount} SAR received after the bill was {bill.state}, returned in full",
        },
    )
    if created:
        audit_record(
            action="billing.refund_requested",
            actor=None,
            target=refund,
            to_state=refund.state,
            changes={"bill": bill.number, "amount": str(amount), "unaccepted_payment": True},
        )
        _enqueue_on_commit("refund_send", refund.pk)
    return refund


@dataclass(frozen=True)
class CallbackAnswer:
    """What the callback endpoint answers the payment service."""

    outcome: PaymentOutcome
    status: int
    body: dict[str, str]


def _answer(outcome: PaymentOutcome) -> CallbackAnswer:
    status = CALLBACK_STATUS[outcome]
    body = {"status": str(outcome)} if status == 200 else {"status": "rejected", "reason": str(outcome)}
    return CallbackAnswer(outcome=outcome, status=status, body=body)


def payment_callback_handle(*, body: bytes, signature: str, source: str = "callback") -> CallbackAnswer:
    """Check a payment callback's signature, then read it and record the payment it reports.

    Nothing in the body is believed, not even the bill number, before the signature is checked.
    """
    payment = gateway("payment")
    if not signature or not payment.verify_signature(body, signature):
        preview = body[:BODY_PREVIEW_BYTES].decode("utf-8", "replace")
        payment_notice_reject(
            source=source,
            outcome=PaymentOutcome.BAD_SIGNATURE,
            reason="missing signature" if not signature else "the signature does not match the body",
            payload={"unverified_body": preview},
        )
        return _answer(PaymentOutcome.BAD_SIGNATURE)
    preview = {"body": body[:BODY_PREVIEW_BYTES].decode("utf-8", "replace")}
    try:
        raw = json.loads(body)
    except ValueError as exc:  # not JSON, or not UTF-8
        payment_notice_reject(
            source=source, outcome=PaymentOutcome.MALFORMED, reason=str(exc), payload=preview
        )
        return _answer(PaymentOutcome.MALFORMED)
    try:
        status = replies.parse_bill_status(raw)
        currency = replies.Reply("payment", raw).text("currency", optional=True) or "SAR"
    except MalformedReply as exc:
        payload = raw if isinstance(raw, dict) else preview
        payment_notice_reject(
            source=source, outcome=PaymentOutcome.MALFORMED, reason=str(exc), payload=payload
        )
        return _answer(PaymentOutcome.MALFORMED)
    if not status.paid:
        payment_notice_reject(
            source=source,
            outcome=PaymentOutcome.NOT_PAID,
            reason="the notice reports no payment",
            payload=raw,
            bill_number=status.bill_number,
        )
        return _answer(PaymentOutcome.NOT_PAID)
    _bill, outcome = bill_record_payment(
        bill_number=status.bill_number,
        amount=status.paid_amount,
        currency=currency,
        payment_ref=status.payment_ref,
        paid_at=status.paid_at,
        source=source,
        payload=raw,
    )
    return _answer(PaymentOutcome(outcome))


def bill_demo_pay(*, actor: Actor, bill: Bill) -> CallbackAnswer:
    """In the demo, play the payer's bank: the fake payment service takes the money and its signed
    callback goes through the same code as a real one. Not available with the real payment service."""
    if settings.INTEGRATIONS_MODE != "fake":
        raise PermissionDenied(_("Pay this bill through your bank with the number shown."))
    require_bill_access(actor, bill)
    if bill.state != BillState.OPEN:
        raise ValidationError(_("This bill is no longer waiting for payment."))
    bill_register_at_gateway(bill_id=bill.pk)
    payment = gateway("payment")
    payment.pay(bill_number=bill.number)
    body, signature = payment.callback(bill_number=bill.number)
    answer = payment_callback_handle(body=body, signature=signature, source="demo")
    audit_record(
        action="billing.demo_payment", actor=actor, target=bill, changes={"outcome": str(answer.outcome)}
    )
    return answer


def _status_at_gateway(bill: Bill) -> BillStatus | None:
    """The payment service's word on a bill; None (logged) when it cannot answer now."""
    try:
        return gateway("payment").bill_status(bill_number=bill.number)
    except GatewayError as exc:
        if exc.retryable:
            log.warning("payment service could not report on bill %s: %s", bill.number, exc)
            return None
        # The service does not know the bill: nobody can have paid it.
        return BillStatus(bill_number=bill.number, paid=False)


def _record_reported_payment(bill: Bill, status: BillStatus) -> str:
    return bill_record_payment(
        bill_number=bill.number,
        amount=status.paid_amount,
        currency=bill.currency,
        payment_ref=status.payment_ref,
        paid_at=status.paid_at,
        source="reconciliation",
        payload={
            "bill_number": status.bill_number,
            "status": "paid",
            "paid_amount": str(status.paid_amount),
            "paid_at": status.paid_at.isoformat(),
            "payment_ref": status.payment_ref,
        },
    )[1]


UNPAID = "unpaid"


def _settle_with_gateway(bill: Bill) -> str | None:
    """Ask the payment service whether an open bill was paid, and record the payment if it was.

    Returns None when that cannot be settled now (the service is down, or recording failed: both
    logged), UNPAID when nobody paid, else the outcome of recording the payment. A payment refused
    before is not recorded again on every run: its one notice stands.
    """
    status = _status_at_gateway(bill)
    if status is None:
        return None
    if not status.paid:
        return UNPAID
    if PaymentNotice.objects.filter(bill=bill, payment_ref=status.payment_ref).exists():
        return PaymentOutcome.DUPLICATE
    try:
        return _record_reported_payment(bill, status)
    except Exception:
        log.exception("could not record the payment of bill %s reported by the payment service", bill.number)
        return None


def bill_reconcile(*, older_than: dt.timedelta = dt.timedelta(minutes=30)) -> int:
    """Ask the payment service about open bills whose payment notice may have been lost.

    One bill at a time, outside any transaction; a bill the service cannot report on now is skipped
    until the next run. A bill never registered (its task was lost) is registered again. Returns how
    many payments were recorded.
    """
    recorded = 0
    for bill in bills_to_reconcile(issued_before=timezone.now() - older_than):
        if bill.registered_at is None:
            _enqueue_registration(bill)
        elif _settle_with_gateway(bill) == PaymentOutcome.ACCEPTED:
            recorded += 1
    return recorded


def _enqueue_registration(bill: Bill) -> None:
    from . import tasks

    tasks.bill_register.delay(bill.pk)


# --- expiry ------------------------------------------------------------------------------------


@transaction.atomic
def bill_expire(*, bill_id: int, now: dt.datetime) -> bool:
    """Close one bill left unpaid past its due time; False if it was paid or closed meanwhile."""
    bill = Bill.objects.select_for_update().get(pk=bill_id)
    if bill.state != BillState.OPEN or bill.due_at > now:
        return False
    bill.expire()
    bill.save()
    audit_record(
        action="billing.bill_expired", actor=None, target=bill, from_state=BillState.OPEN, to_state=bill.state
    )
    bill_expired.send(sender=Bill, bill=bill)
    return True


def bill_expire_overdue(*, now: dt.datetime | None = None) -> int:
    """Expire open bills past their due time, one per transaction; returns how many.

    The payment service is asked first (outside any transaction): a bill paid in time whose notice
    was lost is recorded as paid instead. While the service cannot answer, its bills wait for the next
    run rather than expire on a payer who may have paid. A payment the bill cannot accept (a wrong
    amount) does not keep it open: its notice waits for a person. The time to pay stood still while
    the payment service was down: a bill whose due time, moved back by those outages, has not come
    yet stays open.
    """
    now = now or timezone.now()
    expired = 0
    for bill in overdue_bills(now=now):
        time_to_pay = bill.due_at - bill.issued_at
        if deadline_with_pauses(start=bill.issued_at, duration=time_to_pay, gateway="payment", now=now) > now:
            continue
        if bill.registered_at is not None:
            outcome = _settle_with_gateway(bill)
            if outcome is None or outcome == PaymentOutcome.ACCEPTED:
                continue
        expired += bill_expire(bill_id=bill.pk, now=now)
    return expired


# --- refunds -----------------------------------------------------------------------------------


@transaction.atomic
def refund_request(
    *,
    bill: Bill,
    amount: Decimal,
    reason: str,
    formula: str,
    idempotency_key: str,
    actor: Actor | None,
) -> Refund:
    """Return `amount` of a paid bill to the account that paid it; the money goes by a task.

    The same `idempotency_key` always gives back the same refund, so asking twice refunds once.
    Whether the actor may cause this refund is the calling service's decision, taken before.
    """
    bill = Bill.objects.select_for_update().get(pk=bill.pk)
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.bill_id != bill.pk:
            raise ValueError("refund_request: this idempotency key was used for another bill")
        return existing
    amount = _money(amount)
    if bill.state != BillState.PAID:
        raise ValidationError(_("Only a paid bill can be refunded."))
    if amount <= 0:
        raise ValidationError(_("A refund must be for more than zero."))
    if amount > bill.refundable_amount:
        raise ValidationError(
            _("At most %(amount)s SAR of this bill can still be refunded.")
            % {"amount": format_amount(bill.refundable_amount)}
        )
    refund = Refund.objects.create(
        bill=bill,
        amount=amount,
        reason=reason[:200],
        formula=formula[:300],
        idempotency_key=idempotency_key[:80],
        payment_ref=bill.payment_ref,
    )
    Bill.objects.filter(pk=bill.pk).update(refunded_amount=F("refunded_amount") + amount)
    audit_record(
        action="billing.refund_requested",
        actor=actor,
        target=refund,
        to_state=refund.state,
        changes={
            "bill": bill.number,
            "amount": str(amount),
            "reason": refund.reason,
            "formula": refund.formula,
        },
    )
    _enqueue_on_commit("refund_send", refund.pk)
    return refund


@transaction.atomic
def refund_claim(*, refund_id: int) -> Refund | None:
    """Reserve a waiting refund for one attempt to send it; None if it is done or another worker has it.

    A single conditional UPDATE: of two workers sending the same refund, exactly one goes ahead.
    """
    now = timezone.now()
    claimed = (
        Refund.objects.filter(pk=refund_id, state=RefundState.REQUESTED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + dt.timedelta(seconds=REFUND_CLAIM_SECONDS))
    )
    return Refund.objects.select_related("bill").get(pk=refund_id) if claimed else None


@transaction.atomic
def refund_record_sent(*, refund_id: int, gateway_ref: str) -> Refund:
    """The payment service returned the money: the refund is done and its subject is told."""
    refund = Refund.objects.select_for_update().select_related("bill", "bill__payer").get(pk=refund_id)
    if refund.state != RefundState.REQUESTED:
        return refund
    refund.mark_sent(gateway_ref=gateway_ref[:64], completed_at=timezone.now())
    refund.attempts += 1
    refund.claimed_until = None
    refund.save()
    audit_record(
        action="billing.refund_sent",
        actor=None,
        target=refund,
        from_state=RefundState.REQUESTED,
        to_state=refund.state,
        changes={"gateway_ref": refund.gateway_ref, "amount": str(refund.amount)},
    )
    if refund.unaccepted_payment:
        _notify_payment_returned(refund)
    else:
        refund_completed.send(sender=Refund, refund=refund)
    return refund


def _notify_payment_returned(refund: Refund) -> None:
    """Nobody else knows of a payment the bill could not take: billing tells the payer itself."""
    payer = refund.bill.payer
    context = {"bill_number": refund.bill.number, "amount": format_amount(refund.amount)}

    def send() -> None:
        from musaned.notifications.services import notify

        notify(
            recipient=payer,
            event="payment_returned",
            context=context,
            url=reverse("billing:bills"),
            channels=("in_app", "email"),
        )

    transaction.on_commit(send, robust=True)


@transaction.atomic
def refund_record_failure(*, refund_id: int, error: str, final: bool) -> Refund:
    """One attempt failed: keep the error. When no attempt is left the refund fails, and the amount
    it held becomes refundable again so that a person can ask for it anew."""
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.state != RefundState.REQUESTED:
        return refund
    refund.attempts += 1
    refund.claimed_until = None
    refund.last_error = error[:300]
    if final:
        refund.mark_failed(error=error)
        if not refund.unaccepted_payment:
            Bill.objects.filter(pk=refund.bill_id).update(
                refunded_amount=F("refunded_amount") - refund.amount
            )
        log.error("refund %s of bill %s failed for good: %s", refund.pk, refund.bill_id, error)
    refund.save()
    if final:
        audit_record(
            action="billing.refund_failed",
            actor=None,
            target=refund,
            from_state=RefundState.REQUESTED,
            to_state=refund.state,
            changes={"error": refund.last_error},
        )
    return refund


# --- receipts ----------------------------------------------------------------------------------

PURPOSE_NAMES = {
    BillPurpose.VISA_FEE: {"ar": "رسوم تأشيرة العمالة المنزلية", "en": "Domestic worker visa fee"},
    BillPurpose.ESERVICE_FEE: {"ar": "رسوم الخدمة الإلكترونية", "en": "E-service fee"},
    BillPurpose.CONTRACT: {"ar": "عقد الاستقدام", "en": "Recruitment contract"},
}


def _sar(value: Decimal) -> dict[str, str]:
    return {"ar": f"{format_amount(value)} ريال سعودي", "en": f"SAR {format_amount(value)}"}


def _masked_email(email: str) -> str:
    name, _at, domain = email.partition("@")
    return f"{name[:1]}•••@{domain}" if domain else "•••"


def _payer_name(bill: Bill) -> Any:
    """The name printed on the receipt: the subject's own words for its payer when it has them
    (`bill_payer_name()`, a text or {"ar": ..., "en": ...}), else the account's name; an e-mail
    address is never printed in full, since anyone holding the receipt can look it up."""
    subject = bill.subject
    if subject is not None and hasattr(subject, "bill_payer_name"):
        return subject.bill_payer_name()
    return bill.payer.get_full_name() or _masked_email(bill.payer.email)


def receipt_statement(bill: Bill) -> dict[str, Any]:
    """What the receipt states, in both languages: exactly what its verification page shows."""
    facts = [
        {"label": {"ar": "رقم الفاتورة", "en": "Bill number"}, "value": bill.number},
        {"label": {"ar": "الدافع", "en": "Paid by"}, "value": _payer_name(bill)},
        {"label": {"ar": "مقابل", "en": "Paid for"}, "value": PURPOSE_NAMES[bill.purpose]},
        {"label": {"ar": "المبلغ المدفوع", "en": "Amount paid"}, "value": _sar(bill.paid_amount)},
        {"label": {"ar": "منها ضريبة القيمة المضافة", "en": "Of which VAT"}, "value": _sar(bill.vat_amount)},
        {"label": {"ar": "طريقة الحساب", "en": "How the amount was computed"}, "value": bill.formula},
        {"label": {"ar": "تاريخ الدفع", "en": "Paid on"}, "value": timezone.localtime(bill.paid_at).date()},
        {"label": {"ar": "مرجع الدفع", "en": "Payment reference"}, "value": bill.payment_ref},
    ]
    return {"title": {"ar": "إيصال دفع", "en": "Payment receipt"}, "facts": facts}


@transaction.atomic
def bill_receipt(*, bill: Bill) -> Document:
    """Issue the receipt PDF of a paid bill; issuing it again returns the one already stored."""
    from musaned.documents.services import document_issue

    bill = Bill.objects.select_related("payer").get(pk=bill.pk)
    if bill.state != BillState.PAID:
        raise ValueError("bill_receipt: only a paid bill has a receipt")
    return document_issue(
        subject=bill,
        kind=RECEIPT_KIND,
        template=RECEIPT_TEMPLATE,
        context={"bill_number": bill.number},
        statement=receipt_statement(bill),
        language=bill.payer.preferred_language or settings.LANGUAGE_CODE,
    )
