"""From payment to the end of the guarantee: the money held in trust, the office's steps, the deadlines,
the arrival and hand-over, a return in the guarantee, and cancellation.

Every amount comes from money.py, computed under the rule set the contract was signed under, and is
written to the case's trust ledger (TrustEntry) under a key naming the business event, so that a
replayed notice or a rerun task never moves money twice. Refunds go back through billing.

Choices made here, and why:

- The office extends the delivery once, by the rule set's extension, on or before the due day; the
  household is told. The extension moves the day lateness is counted from, not the hard limit.
- Arrival comes from the passports service or from the office (after it has reported the departure).
  The hand-over is due `handover_hours` after the later of the arrival and the moment the platform
  learnt of it, so that a worker reported a day late by the feed still leaves the office a full window.
- A penalty for late delivery is paid out of the money held, as a refund to the household, once the
  worker arrives. When the contract ends void or the office cancels, everything held is refunded and the
  penalty is owed by the office on top (collected from its bank guarantee): the ledger then shows the
  office's debt.
- A household's cancellation fee and the office's share at hand-over go to the office; the rest of the
  money held is released when the guarantee ends.

Locks are taken in one order everywhere: the contract's bill (when there is one), then the request; the
payment notice takes the bill first too.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from households.models import EmployedWorker
from households.uploads import detect_type
from musaned.accounts.actor import Actor
from musaned.accounts.models import DelegationScope, User
from musaned.accounts.services import audit_record
from musaned.billing.models import Bill, BillPurpose, BillState, Refund
from musaned.billing.services import bill_cancel, bill_issue, refund_request
from musaned.dates import format_both
from musaned.integrations.base import GatewayError, gateway
from musaned.integrations.interfaces import TravelStatus
from musaned.notifications.services import notify, notify_worker
from visas.services import visa_mark_used, visa_replace

from . import money
from .models import (
    MILESTONE_ORDER,
    Contract,
    DeadlineAlert,
    DeadlineAlertKind,
    Milestone,
    MilestoneKind,
    OfficeAssignment,
    OfficeRating,
    RecruitmentRequest,
    RequestState,
    TrustEntry,
    TrustEntryKind,
)

log = logging.getLogger(__name__)

E164 = re.compile(r"\+[1-9]\d{7,14}")
ARRIVAL_SOURCES = ("passports", "office")
# Before payment the household withdraws for free; once paid, until the worker arrives, for a fee.
CANCELLABLE_STATES = (
    RequestState.AWAITING_OFFERS,
    RequestState.OFFICE_LATE,
    RequestState.OFFERS_SENT,
    RequestState.AWAITING_WORKER,
    RequestState.AWAITING_PAYMENT,
    RequestState.IN_PROCESS,
)
RATEABLE_STATES = (RequestState.IN_GUARANTEE, RequestState.CLOSED, RequestState.RETURNED)


# --- reading the case ------------------------------------------------------------------------------


def live_contract(request: RecruitmentRequest) -> Contract | None:
    """The contract in force for the request: the latest one the worker has not declined."""
    return (
        Contract.objects.filter(request_id=request.pk, worker_declined_at__isnull=True)
        .select_related("cv", "cv__nationality", "cv__occupation", "offer", "office", "rule_set", "bill")
        .prefetch_related("rule_set__country_rules")
        .order_by("-created_at", "-id")
        .first()
    )


def ledger_of(request: RecruitmentRequest) -> list[TrustEntry]:
    return list(TrustEntry.objects.filter(request_id=request.pk).order_by("created_at", "id"))


def held_balance(request: RecruitmentRequest) -> Decimal:
    return money.trust_balance(ledger_of(request))


def cancel_stage_of(request: RecruitmentRequest, contract: Contract | None) -> str:
    paid = request.state == RequestState.IN_PROCESS and contract is not None and contract.paid_at is not None
    return money.cancel_stage(paid=paid, milestones=request.milestones.values_list("kind", flat=True))


def refundable_held(request: RecruitmentRequest, contract: Contract) -> Decimal:
    """What can still go back to the household: held in trust, and not yet refunded on the bill."""
    bill = Bill.objects.get(pk=contract.bill_id)
    return max(Decimal("0.00"), min(held_balance(request), bill.refundable_amount))


def household_cancellation_quote(*, request: RecruitmentRequest) -> money.CancelQuote:
    contract = live_contract(request)
    stage = cancel_stage_of(request, contract)
    held = refundable_held(request, contract) if stage != money.CancelStage.UNPAID else Decimal("0.00")
    return money.household_cancellation(contract=contract, stage=stage, held=held)


def office_cancellation_quote(*, request: RecruitmentRequest) -> money.CancelQuote:
    contract = live_contract(request)
    return money.office_cancellation(contract=contract, held=refundable_held(request, contract))


# --- who may act -----------------------------------------------------------------------------------


def is_household_of(actor: Actor, request: RecruitmentRequest) -> bool:
    return request.household.user_id == actor.principal.pk


def is_office_of(actor: Actor, request: RecruitmentRequest) -> bool:
    """The account acted for works for the office now assigned to the request."""
    principal = actor.principal
    membership = getattr(principal, "office_membership", None)
    return (
        request.office_id is not None
        and membership is not None
        and membership.office_id == request.office_id
        and principal.has_perm("recruitment.work_requests")
    )


def _require_household(actor: Actor, request: RecruitmentRequest) -> None:
    if not is_household_of(actor, request):
        raise PermissionDenied(_("Only the household of this request can do this."))
    actor.require_scope(DelegationScope.RECRUITMENT)


def _require_office(actor: Actor, request: RecruitmentRequest) -> None:
    if not is_office_of(actor, request):
        raise PermissionDenied(_("Only the staff of the office bringing this worker can do this."))
    actor.require_scope(DelegationScope.RECRUITMENT)


# --- shared steps ----------------------------------------------------------------------------------


def _lock(request: RecruitmentRequest) -> tuple[RecruitmentRequest, Contract | None]:
    """Lock the contract's bill, then the request, and read both again."""
    contract = live_contract(request)
    if contract is not None and contract.bill_id is not None:
        Bill.objects.select_for_update().filter(pk=contract.bill_id).first()
    locked = (
        RecruitmentRequest.objects.select_for_update(of=("self",))
        .select_related("household", "household__user", "office", "visa")
        .get(pk=request.pk)
    )
    return locked, live_contract(locked)


def _language_of(request: RecruitmentRequest) -> str:
    return request.household.user.preferred_language or settings.LANGUAGE_CODE


def case_url(request: RecruitmentRequest) -> str:
    return reverse("delivery:case", kwargs={"reference": request.reference})


def _entry(
    *, request: RecruitmentRequest, contract: Contract, kind: str, quote: money.Quote, key: str
) -> TrustEntry | None:
    """Write one ledger line for a business event; nothing when the amount is zero."""
    if quote.amount <= 0:
        return None
    return TrustEntry.objects.create(
        request=request,
        kind=kind,
        amount=quote.amount,
        formula=quote.formula[:300],
        rule_set=contract.rule_set,
        key=key,
    )


def _refund(
    *, request: RecruitmentRequest, contract: Contract, quote: money.Quote, key: str, reason: str, actor
) -> Refund | None:
    """Send `quote.amount` back to the household through billing and write it to the ledger."""
    if quote.amount <= 0:
        return None
    refund = refund_request(
        bill=contract.bill,
        amount=quote.amount,
        reason=reason,
        formula=quote.formula,
        idempotency_key=key,
        actor=actor,
    )
    _entry(request=request, contract=contract, kind=TrustEntryKind.REFUNDED, quote=quote, key=key)
    return refund


def _office_people(request: RecruitmentRequest) -> list[User]:
    if request.office_id is None:
        return []
    return list(User.objects.filter(office_membership__office_id=request.office_id, is_active=True))


def _notify_household(request: RecruitmentRequest, event: str, *, sms: bool = False, **context: Any) -> None:
    household = request.household
    recipient, mobile, url = household.user, household.mobile if sms else None, case_url(request)
    values = {"reference": request.reference, **context}
    transaction.on_commit(
        lambda: notify(recipient=recipient, event=event, context=values, url=url, sms_to=mobile), robust=True
    )


def _notify_office(request: RecruitmentRequest, event: str, **context: Any) -> None:
    people, url = _office_people(request), case_url(request)
    values = {"reference": request.reference, **context}

    def send() -> None:
        for person in people:
            notify(recipient=person, event=event, context=values, url=url, channels=("in_app", "email"))

    transaction.on_commit(send, robust=True)


def _worker_phone(request: RecruitmentRequest, contract: Contract) -> str:
    phone = (contract.cv.phone or request.named_worker_phone or "").replace(" ", "")
    return phone if E164.fullmatch(phone) else ""


def _text_worker(request: RecruitmentRequest, contract: Contract, event: str, **context: Any) -> None:
    """An SMS to the worker in her own language (English when the event has no text in it)."""
    phone = _worker_phone(request, contract)
    if not phone:
        log.info("request %s: no usable phone number for the worker; no SMS sent", request.reference)
        return
    values, language = {"reference": request.reference, **context}, contract.worker_language
    transaction.on_commit(
        lambda: notify_worker(to=phone, event=event, language=language, context=values), robust=True
    )


def _audit(
    action: str, *, actor: Actor | None, request: RecruitmentRequest, from_state: str = "", **changes
) -> None:
    audit_record(
        action=f"recruitment.{action}",
        actor=actor,
        target=request,
        from_state=from_state,
        to_state=request.state,
        changes={key: str(value) if value is not None else None for key, value in changes.items()},
    )


# --- paying in -------------------------------------------------------------------------------------


@transaction.atomic
def contract_bill_issue(*, contract: Contract, actor: Actor | None = None) -> Bill:
    """Bill the household for the contract once the worker has accepted it.

    Called by the system when the worker accepts (no actor), or by the household for a new bill after
    the last one lapsed unpaid. Asking again while a bill is open or paid returns that bill.
    """
    request = (
        RecruitmentRequest.objects.select_for_update(of=("self",))
        .select_related("household__user")
        .get(pk=contract.request_id)
    )
    if actor is not None:
        _require_household(actor, request)
    contract = live_contract(request)
    if contract is None or request.state != RequestState.AWAITING_PAYMENT:
        raise ValidationError(_("This request is not waiting for payment."))
    if contract.bill is not None and contract.bill.state in (BillState.OPEN, BillState.PAID):
        return contract.bill
    with translation.override(_language_of(request)):
        quote = money.contract_bill(contract=contract)
    bill = bill_issue(
        payer=request.household.user,
        subject=contract,
        purpose=BillPurpose.CONTRACT,
        amount=quote.amount,
        vat_amount=contract.vat_amount,
        formula=quote.formula,
        rule_set=contract.rule_set,
    )
    contract.bill = bill
    contract.save(update_fields=["bill"])
    _audit("contract_billed", actor=actor, request=request, bill=bill.number, amount=bill.amount)
    _notify_household(
        request,
        "contract_bill_issued",
        sms=True,
        bill_number=bill.number,
        amount=bill.amount,
        due_at=bill.due_at,
    )
    return bill


@transaction.atomic
def contract_record_payment(*, contract: Contract) -> Contract:
    """The household paid the contract's bill: the money is held in trust and the delivery clock starts.

    Runs inside the transaction that records the payment. One entry in the ledger per contract, however
    often the payment is reported. Money that arrives for a case no longer waiting for it goes back.
    """
    request, live = _lock(contract.request)
    bill = Bill.objects.get(pk=contract.bill_id)
    key = f"held-{contract.pk}"
    if TrustEntry.objects.filter(key=key).exists():
        return contract
    if live is None or live.pk != contract.pk or request.state != RequestState.AWAITING_PAYMENT:
        with translation.override(_language_of(request)):
            formula = _(
                "Paid for request %(reference)s after it stopped waiting for payment: returned in full"
            ) % {"reference": request.reference}
        refund_request(
            bill=bill,
            amount=bill.refundable_amount,
            reason=formula,
            formula=formula,
            idempotency_key=f"not-payable-{bill.pk}",
            actor=None,
        )
        _audit("payment_returned", actor=None, request=request, bill=bill.number, amount=bill.paid_amount)
        return contract

    contract = live
    paid_on = timezone.localdate(bill.paid_at)
    with translation.override(_language_of(request)):
        terms = money.delivery_terms(contract=contract)
        due_on = money.delivery_due_on(paid_on=paid_on, days=terms.days)
        held = money.Quote(
            bill.paid_amount,
            _("%(formula)s. Delivery due %(due)s: %(terms)s")
            % {
                "formula": money.contract_bill(contract=contract).formula,
                "due": format_both(due_on),
                "terms": terms.explanation,
            },
        )
    from_state = request.state
    request.pay()
    request.save()
    contract.paid_at, contract.delivery_due_on = bill.paid_at, due_on
    contract.save(update_fields=["paid_at", "delivery_due_on"])
    _entry(request=request, contract=contract, kind=TrustEntryKind.HELD, quote=held, key=key)
    _audit(
        "contract_paid",
        actor=None,
        request=request,
        from_state=from_state,
        bill=bill.number,
        amount=bill.paid_amount,
        delivery_due_on=due_on.isoformat(),
        delivery_days=terms.days,
    )
    _notify_household(request, "contract_paid", amount=bill.paid_amount, due_on=due_on)
    _notify_office(request, "contract_paid_office", amount=bill.paid_amount, due_on=due_on)
    return contract


@transaction.atomic
def contract_record_refund(*, refund: Refund) -> None:
    """Billing sent a refund of a contract's bill back: tell the household it has arrived."""
    contract = (
        Contract.objects.select_related("request__household__user").filter(bill_id=refund.bill_id).first()
    )
    if contract is None:
        return
    _notify_household(contract.request, "contract_refunded", amount=refund.amount, formula=refund.formula)


@transaction.atomic
def contract_record_bill_expiry(*, bill: Bill) -> None:
    """The contract's bill lapsed unpaid: the household can ask for a new one from the case page."""
    contract = Contract.objects.select_related("request__household__user").filter(bill_id=bill.pk).first()
    if contract is not None and contract.request.state == RequestState.AWAITING_PAYMENT:
        _notify_household(contract.request, "contract_bill_expired", bill_number=bill.number)


# --- the office's steps ----------------------------------------------------------------------------


def next_milestone(reported: list[str]) -> str | None:
    return next((kind for kind in MILESTONE_ORDER if kind not in reported), None)


def _document_errors(document: UploadedFile | None) -> tuple[dict[str, str], str]:
    if document is None:
        return {}, ""
    if document.size > settings.UPLOAD_MAX_BYTES:
        limit = filesizeformat(settings.UPLOAD_MAX_BYTES)
        return {"document": _("The file is too large: at most %(limit)s.") % {"limit": limit}}, ""
    mime = detect_type(document)
    if mime is None:
        return {"document": _("Upload a PDF, JPEG or PNG file.")}, ""
    return {}, mime


@transaction.atomic
def milestone_report(
    *,
    actor: Actor,
    request: RecruitmentRequest,
    kind: str,
    occurred_on: dt.date,
    note: str = "",
    document: UploadedFile | None = None,
) -> Milestone:
    """The office reports the next step of bringing the worker, in order, with its date and a document."""
    _require_office(actor, request)
    request, contract = _lock(request)
    if request.state != RequestState.IN_PROCESS:
        raise ValidationError(_("Steps can be reported only while the office is bringing the worker."))
    reported = list(request.milestones.order_by("occurred_on", "id"))
    expected = next_milestone([step.kind for step in reported])
    errors: dict[str, str] = {}
    if kind not in MilestoneKind.values:
        errors["kind"] = _("Choose one of the steps.")
    elif expected is None:
        errors["kind"] = _("Every step has already been reported.")
    elif kind in [step.kind for step in reported]:
        errors["kind"] = _("This step has already been reported.")
    elif kind != expected:
        errors["kind"] = _("Report the steps in order: the next step is “%(step)s”.") % {
            "step": MilestoneKind(expected).label
        }
    today, paid_on = timezone.localdate(), timezone.localdate(contract.paid_at)
    if occurred_on > today:
        errors["occurred_on"] = _("The date cannot be in the future.")
    elif occurred_on < paid_on:
        errors["occurred_on"] = _("The date cannot be before the payment, on %(date)s.") % {
            "date": format_both(paid_on)
        }
    elif reported and occurred_on < reported[-1].occurred_on:
        errors["occurred_on"] = _("The date cannot be before the previous step, on %(date)s.") % {
            "date": format_both(reported[-1].occurred_on)
        }
    document_errors, mime = _document_errors(document)
    errors.update(document_errors)
    if errors:
        raise ValidationError(errors)

    milestone = Milestone(
        request=request,
        kind=kind,
        occurred_on=occurred_on,
        note=(note or "").strip()[:300],
        reported_by=actor.user,
        document_type=mime,
    )
    if document is not None:
        milestone.document.save(document.name or "document", document, save=False)
    milestone.save()
    _audit("milestone_reported", actor=actor, request=request, step=kind, occurred_on=occurred_on.isoformat())
    label = MilestoneKind(kind).label
    _notify_household(request, "delivery_milestone", step=label, occurred_on=occurred_on, note=milestone.note)
    if kind == MilestoneKind.DEPARTED:
        _text_worker(request, contract, "delivery_departed_worker", occurred_on=occurred_on.isoformat())
    return milestone


@transaction.atomic
def delivery_extend(*, actor: Actor, request: RecruitmentRequest) -> Contract:
    """The office uses the one extension the rules allow, on or before the day delivery is due."""
    _require_office(actor, request)
    request, contract = _lock(request)
    if request.state != RequestState.IN_PROCESS:
        raise ValidationError(_("Only a delivery still in progress can be extended."))
    if contract.extended_due_on is not None:
        raise ValidationError(
            _("The delivery has already been extended once; the rules allow one extension.")
        )
    if timezone.localdate() > contract.delivery_due_on:
        raise ValidationError(
            _("An extension must be asked for by the day delivery is due, %(date)s.")
            % {"date": format_both(contract.delivery_due_on)}
        )
    days = contract.rule_set.delivery_extension_days
    contract.extended_due_on = contract.delivery_due_on + dt.timedelta(days=days)
    contract.save(update_fields=["extended_due_on"])
    _audit(
        "delivery_extended",
        actor=actor,
        request=request,
        delivery_due_on=contract.delivery_due_on.isoformat(),
        extended_due_on=contract.extended_due_on.isoformat(),
    )
    _notify_household(request, "delivery_extended", days=days, due_on=contract.extended_due_on)
    return contract


# --- deadlines -------------------------------------------------------------------------------------


def _pending_alert(
    request: RecruitmentRequest, *, kind: str, due_on: dt.date, today: dt.date, alert_days: list[int]
) -> int | None:
    """The alert due now for a deadline (days before it), or None. Only the nearest one goes out: a
    task that missed a day does not send the earlier alerts late; they are marked as passed."""
    remaining = (due_on - today).days
    if remaining < 0:
        return None
    pending = [days for days in alert_days if remaining <= days]
    if not pending:
        return None
    nearest = min(pending)
    sent = set(
        DeadlineAlert.objects.filter(request=request, kind=kind, due_on=due_on).values_list(
            "days_before", flat=True
        )
    )
    if nearest in sent:
        return None
    DeadlineAlert.objects.bulk_create(
        [
            DeadlineAlert(request=request, kind=kind, due_on=due_on, days_before=days)
            for days in pending
            if days not in sent
        ],
        ignore_conflicts=True,
    )
    return remaining


def _first_time(request: RecruitmentRequest, *, kind: str, due_on: dt.date) -> bool:
    _alert, created = DeadlineAlert.objects.get_or_create(
        request=request, kind=kind, due_on=due_on, days_before=0
    )
    return created


@transaction.atomic
def delivery_alerts_send(*, request_id: int, today: dt.date) -> list[str]:
    """Send the alerts due today for one case (each once); returns the kinds sent."""
    request, contract = _lock(RecruitmentRequest(pk=request_id))
    if contract is None:
        return []
    alert_days = contract.rule_set.alert_days()
    sent: list[str] = []
    if request.state == RequestState.IN_PROCESS:
        due_on, hard = money.effective_due_on(contract), money.hard_limit_on(contract)
        if today <= due_on:
            remaining = _pending_alert(
                request, kind=DeadlineAlertKind.DELIVERY, due_on=due_on, today=today, alert_days=alert_days
            )
            if remaining is not None:
                _notify_household(request, "delivery_deadline_alert", sms=True, days=remaining, due_on=due_on)
                _notify_office(request, "delivery_deadline_alert_office", days=remaining, due_on=due_on)
                sent.append(DeadlineAlertKind.DELIVERY)
        else:
            if _first_time(request, kind=DeadlineAlertKind.LATE, due_on=due_on):
                penalty = contract.rule_set.delay_penalty_per_day
                values = {"due_on": due_on, "hard_limit": hard, "per_day": penalty}
                _notify_household(request, "delivery_late", sms=True, **values)
                _notify_office(request, "delivery_late_office", **values)
                sent.append(DeadlineAlertKind.LATE)
            remaining = _pending_alert(
                request, kind=DeadlineAlertKind.HARD_LIMIT, due_on=hard, today=today, alert_days=alert_days
            )
            if remaining is not None:
                _notify_office(request, "delivery_hard_limit_alert", days=remaining, hard_limit=hard)
                sent.append(DeadlineAlertKind.HARD_LIMIT)
    elif request.state == RequestState.IN_GUARANTEE and contract.guarantee_ends_on:
        ends_on = contract.guarantee_ends_on
        remaining = _pending_alert(
            request, kind=DeadlineAlertKind.GUARANTEE, due_on=ends_on, today=today, alert_days=alert_days
        )
        if remaining is not None:
            _notify_household(request, "delivery_guarantee_alert", days=remaining, ends_on=ends_on)
            sent.append(DeadlineAlertKind.GUARANTEE)
    return sent


@transaction.atomic
def delivery_void(*, request_id: int, today: dt.date) -> bool:
    """Past the hard limit without the worker: the contract is void, everything held is refunded, and
    the office owes the delay penalty on top. False when the case is no longer waiting for delivery."""
    request, contract = _lock(RecruitmentRequest(pk=request_id))
    if request.state != RequestState.IN_PROCESS or today <= money.hard_limit_on(contract):
        return False
    with translation.override(_language_of(request)):
        refund = money.void_refund(held=refundable_held(request, contract))
        penalty = money.owed_by_office(money.delay_penalty(contract=contract, on=today))
        reason = _("Request %(reference)s void: the office did not deliver in time") % {
            "reference": request.reference
        }
    _refund(
        request=request,
        contract=contract,
        quote=refund,
        key=f"refund-void-{request.pk}",
        reason=reason,
        actor=None,
    )
    _entry(
        request=request,
        contract=contract,
        kind=TrustEntryKind.PENALTY,
        quote=penalty,
        key=f"penalty-void-{request.pk}",
    )
    from_state = request.state
    request.void(at=timezone.now())
    request.save()
    _audit(
        "contract_void",
        actor=None,
        request=request,
        from_state=from_state,
        refund=refund.amount,
        penalty=penalty.amount,
        penalty_formula=penalty.formula,
    )
    values = {"refund": refund.amount, "penalty": penalty.amount}
    _notify_household(request, "delivery_void", sms=True, **values)
    _notify_office(request, "delivery_void_office", **values)
    return True


def delivery_deadlines_run(*, today: dt.date | None = None) -> dict[str, int]:
    """Daily: alerts before each deadline, late notices, and void contracts past their hard limit.

    Before voiding, the passports service is asked whether the worker arrived after all; while it
    cannot answer, the case waits for the next run rather than be voided on a worker who may be here.
    One transaction per case. Returns how many of each were done.
    """
    today = today or timezone.localdate()
    done = {"alerts": 0, "void": 0, "arrived": 0}
    open_cases = Contract.objects.filter(
        worker_declined_at__isnull=True,
        paid_at__isnull=False,
        request__state__in=[RequestState.IN_PROCESS, RequestState.IN_GUARANTEE],
    ).select_related("rule_set", "request")
    for contract in list(open_cases):
        request = contract.request
        hard = money.hard_limit_on(contract)
        if request.state == RequestState.IN_PROCESS and today > hard:
            try:
                if arrival_check_passports(request_id=request.pk):
                    done["arrived"] += 1
                    continue
            except GatewayError:
                log.warning(
                    "request %s: passports service unavailable; void postponed",
                    request.reference,
                    exc_info=True,
                )
                continue
            done["void"] += delivery_void(request_id=request.pk, today=today)
        else:
            done["alerts"] += len(delivery_alerts_send(request_id=request.pk, today=today))
    return done


# --- arrival and hand-over -------------------------------------------------------------------------


@transaction.atomic
def arrival_record(
    *, request: RecruitmentRequest, at: dt.datetime, source: str, actor: Actor | None = None
) -> RecruitmentRequest:
    """The worker entered the kingdom: the visa is used, a late office pays its penalty out of the money
    held, and the office must hand her over. A repeated report changes nothing."""
    if source not in ARRIVAL_SOURCES:
        raise ValueError(f"arrival_record: unknown source {source!r}")
    request, contract = _lock(request)
    if contract is not None and contract.arrived_at is not None:
        return request
    if request.state != RequestState.IN_PROCESS:
        raise ValidationError(_("Only a worker the office is still bringing can arrive."))
    now = timezone.now()
    if at > now:
        raise ValidationError({"arrived_at": _("The arrival cannot be in the future.")})
    paid_on = timezone.localdate(contract.paid_at)
    arrived_on = timezone.localdate(at)
    if arrived_on < paid_on:
        raise ValidationError(
            {
                "arrived_at": _("The arrival cannot be before the payment, on %(date)s.")
                % {"date": format_both(paid_on)}
            }
        )

    from_state = request.state
    request.arrive()
    request.save()
    contract.arrived_at = at
    contract.handover_due_at = max(at, now) + dt.timedelta(hours=contract.rule_set.handover_hours)
    contract.save(update_fields=["arrived_at", "handover_due_at"])
    visa_mark_used(visa=request.visa, at=at, actor=actor)
    with translation.override(_language_of(request)):
        penalty = money.delay_penalty(contract=contract, on=arrived_on)
        reason = _("Late-delivery penalty for request %(reference)s") % {"reference": request.reference}
    if penalty.amount > 0:
        key = f"penalty-late-{request.pk}"
        refund_request(
            bill=contract.bill,
            amount=penalty.amount,
            reason=reason,
            formula=penalty.formula,
            idempotency_key=key,
            actor=actor,
        )
        _entry(request=request, contract=contract, kind=TrustEntryKind.PENALTY, quote=penalty, key=key)
    _audit(
        "worker_arrived",
        actor=actor,
        request=request,
        from_state=from_state,
        source=source,
        arrived_at=at.isoformat(),
        penalty=penalty.amount,
    )
    values = {"arrived_at": at, "handover_due_at": contract.handover_due_at, "penalty": penalty.amount}
    _notify_household(request, "delivery_arrived", sms=True, **values)
    _notify_office(request, "delivery_arrived_office", **values)
    return request


@transaction.atomic
def arrival_confirm_by_office(
    *, actor: Actor, request: RecruitmentRequest, at: dt.datetime
) -> RecruitmentRequest:
    """The office says the worker has arrived; it must have reported her departure first."""
    _require_office(actor, request)
    if not request.milestones.filter(kind=MilestoneKind.DEPARTED).exists():
        raise ValidationError(_("Report the worker's departure before her arrival."))
    return arrival_record(request=request, at=at, source="office", actor=actor)


def arrival_check_passports(*, request_id: int) -> bool:
    """Ask the passports service whether the worker of a case in progress has arrived, and record it.

    Call outside a transaction (the gateway call is not held inside one). Raises GatewayError when the
    service cannot answer. The arrival day is the one the service gives; the moment, its start.
    """
    contract = (
        Contract.objects.filter(
            request_id=request_id, worker_declined_at__isnull=True, request__state=RequestState.IN_PROCESS
        )
        .select_related("cv", "request")
        .first()
    )
    if contract is None:
        return False
    status = gateway("passports").worker_status(passport_number=contract.cv.passport_number)
    if status.status != TravelStatus.ARRIVED:
        return False
    return arrival_from_passports(contract=contract, on=status.date)


def arrival_from_passports(*, contract: Contract, on: dt.date | None) -> bool:
    """Record an arrival the passports service reported, by the per-case check or the nightly feed.

    The arrival day is the one the service gives; the moment, its start (today's: now)."""
    now = timezone.now()
    at = now
    if on is not None and on < timezone.localdate(now):
        at = timezone.make_aware(dt.datetime.combine(on, dt.time.min))
    try:
        arrival_record(request=contract.request, at=at, source="passports")
    except ValidationError:
        log.warning(
            "request %s: passports report an arrival the case cannot take", contract.request.reference
        )
        return False
    return True


def guarantee_return_from_passports(*, contract: Contract, exit_on: dt.date | None) -> bool:
    """The passports service reports that the worker of a case in its guarantee left the kingdom for
    good: the return starts by itself, as if the household had reported it that day (pro-rata refund,
    replacement visa, notices), with the system as the actor.

    False, and nothing done here, when the case is no longer in its guarantee (returned already, closed)
    or the exit falls outside it: the employment then simply ends (households' receiver of the same
    report), and nothing is refunded. A repeated report finds the case returned and does nothing."""
    request = contract.request
    exit_on = exit_on or timezone.localdate()
    # In the household's language, as when the household reports it: the reason and any refusal of
    # the replacement visa are kept on the case and sent to the household.
    with translation.override(_language_of(request)):
        reason = _("The passports service reported the worker's final exit.")
        try:
            with transaction.atomic():
                _return_in_guarantee(actor=None, request=request, exit_on=exit_on, reason=reason)
        except ValidationError as error:
            log.info(
                "request %s: final exit on %s reported, no return started: %s",
                request.reference,
                exit_on,
                " ".join(error.messages),
            )
            return False
    return True


def arrivals_to_check() -> list[int]:
    """The cases whose worker the office is bringing: the passports service is asked about each."""
    return list(
        RecruitmentRequest.objects.filter(state=RequestState.IN_PROCESS)
        .order_by("id")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def handover_confirm(*, actor: Actor, request: RecruitmentRequest) -> RecruitmentRequest:
    """The household received the worker: she joins its employed workers, the guarantee starts, and the
    office's first share of the money is released."""
    _require_household(actor, request)
    request, contract = _lock(request)
    if request.state != RequestState.ARRIVED:
        raise ValidationError(_("The worker has not been reported as arrived yet."))
    now = timezone.now()
    arrived_on = timezone.localdate(contract.arrived_at)
    from_state = request.state
    request.hand_over()
    request.save()
    contract.handed_over_at = now
    contract.guarantee_ends_on = arrived_on + dt.timedelta(days=contract.rule_set.guarantee_days)
    contract.save(update_fields=["handed_over_at", "guarantee_ends_on"])
    worker = EmployedWorker(
        household=request.household,
        name=contract.cv.name,
        nationality=contract.cv.nationality,
        occupation=request.visa.occupation,
        passport_number=contract.cv.passport_number,
        employed_since=timezone.localdate(now),
    )
    worker.full_clean(exclude=["household"])
    worker.save()
    audit_record(
        action="household.worker_added",
        actor=actor,
        target=request.household,
        changes={"name": [None, worker.name], "passport_number": [None, worker.passport_number]},
    )
    with translation.override(_language_of(request)):
        release = money.release_on_handover(contract=contract, held=held_balance(request))
    _entry(
        request=request,
        contract=contract,
        kind=TrustEntryKind.RELEASED,
        quote=release,
        key=f"release-arrival-{request.pk}",
    )
    late_hours = max(0, int((now - contract.handover_due_at).total_seconds() // 3600))
    _audit(
        "worker_handed_over",
        actor=actor,
        request=request,
        from_state=from_state,
        released=release.amount,
        guarantee_ends_on=contract.guarantee_ends_on.isoformat(),
        late_hours=late_hours,
    )
    values = {"guarantee_ends_on": contract.guarantee_ends_on, "released": release.amount}
    _notify_office(request, "delivery_handed_over", **values)
    return request


@transaction.atomic
def handover_late_alert(*, request_id: int, now: dt.datetime) -> bool:
    """Tell the office (once) that the hand-over is overdue; the case page counts the hours."""
    request, contract = _lock(RecruitmentRequest(pk=request_id))
    if request.state != RequestState.ARRIVED or contract.handover_due_at >= now:
        return False
    due_on = timezone.localdate(contract.handover_due_at)
    if not _first_time(request, kind=DeadlineAlertKind.HANDOVER_LATE, due_on=due_on):
        return False
    _audit("handover_late", actor=None, request=request, handover_due_at=contract.handover_due_at.isoformat())
    _notify_office(request, "delivery_handover_late", handover_due_at=contract.handover_due_at)
    return True


def handovers_overdue_run(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    overdue = Contract.objects.filter(
        worker_declined_at__isnull=True, request__state=RequestState.ARRIVED, handover_due_at__lt=now
    ).values_list("request_id", flat=True)
    return sum(handover_late_alert(request_id=request_id, now=now) for request_id in list(overdue))


# --- the guarantee ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnOutcome:
    refund: money.Quote
    replacement_reference: str
    replacement_refused: str


def return_quote(*, request: RecruitmentRequest, exit_on: dt.date) -> money.Quote:
    contract = live_contract(request)
    return money.pro_rata_refund(
        contract=contract,
        arrived_on=timezone.localdate(contract.arrived_at),
        exit_on=exit_on,
        # The refund may exceed what is still held (the office's first share is out): billing refunds
        # from what is left of the payment, and the office owes the difference.
        refundable=Bill.objects.get(pk=contract.bill_id).refundable_amount,
    )


def return_errors(*, contract: Contract, exit_on: dt.date, reason: str) -> dict[str, str]:
    """What is wrong with a return's date and reason (checked again by guarantee_return)."""
    arrived_on, today = timezone.localdate(contract.arrived_at), timezone.localdate()
    errors: dict[str, str] = {}
    if not (reason or "").strip():
        errors["reason"] = _("Say why the worker is returned.")
    if exit_on > today:
        errors["exit_on"] = _("The exit date cannot be in the future.")
    elif exit_on < arrived_on:
        errors["exit_on"] = _("The exit date cannot be before the arrival, on %(date)s.") % {
            "date": format_both(arrived_on)
        }
    elif exit_on > contract.guarantee_ends_on:
        errors["exit_on"] = _("The guarantee ended on %(date)s.") % {
            "date": format_both(contract.guarantee_ends_on)
        }
    return errors


@transaction.atomic
def guarantee_return(
    *, actor: Actor, request: RecruitmentRequest, exit_on: dt.date, reason: str
) -> ReturnOutcome:
    """The household returns the worker within the guarantee: a pro-rata refund, her employment ends,
    and a replacement visa is asked for. If the visas service refuses the replacement, the refund still
    happens and the reason is kept on the case."""
    _require_household(actor, request)
    return _return_in_guarantee(actor=actor, request=request, exit_on=exit_on, reason=reason)


def _return_in_guarantee(
    *, actor: Actor | None, request: RecruitmentRequest, exit_on: dt.date, reason: str
) -> ReturnOutcome:
    """The return itself, for the household (guarantee_return) or the system (a reported final exit)."""
    request, contract = _lock(request)
    if request.state != RequestState.IN_GUARANTEE:
        raise ValidationError(_("A worker can be returned only during the guarantee period."))
    reason = (reason or "").strip()
    errors = return_errors(contract=contract, exit_on=exit_on, reason=reason)
    if errors:
        raise ValidationError(errors)
    arrived_on = timezone.localdate(contract.arrived_at)

    with translation.override(_language_of(request)):
        quote = return_quote(request=request, exit_on=exit_on)
        refund_reason = _("Worker returned in the guarantee, request %(reference)s") % {
            "reference": request.reference
        }
    from_state = request.state
    request.return_worker(at=timezone.now())
    request.save()
    _refund(
        request=request,
        contract=contract,
        quote=quote,
        key=f"refund-return-{request.pk}",
        reason=refund_reason,
        actor=actor,
    )
    left = held_balance(request)
    if left > 0:
        with translation.override(_language_of(request)):
            rest = money.final_release(
                held=left, reason=_("Worker returned after part of the contract was served")
            )
        _entry(
            request=request,
            contract=contract,
            kind=TrustEntryKind.RELEASED,
            quote=rest,
            key=f"release-return-{request.pk}",
        )
    EmployedWorker.objects.filter(
        household=request.household, passport_number=contract.cv.passport_number, ended_on__isnull=True
    ).update(ended_on=exit_on)

    replacement, refused = "", ""
    try:
        replacement = visa_replace(
            visa=request.visa, arrival_on=arrived_on, exit_on=exit_on, actor=actor
        ).reference
    except (ValidationError, PermissionDenied) as error:
        refused = " ".join(getattr(error, "messages", [str(error)]))
    _audit(
        "worker_returned",
        actor=actor,
        request=request,
        from_state=from_state,
        exit_on=exit_on.isoformat(),
        reason=reason,
        refund=quote.amount,
        formula=quote.formula,
        replacement_visa=replacement,
        replacement_refused=refused,
    )
    by_passports = actor is None
    values = {
        "refund": quote.amount,
        "formula": quote.formula,
        "replacement": replacement,
        "refused": refused,
        "exit_on": exit_on,
        "by_passports": by_passports,
    }
    _notify_household(request, "delivery_returned", **values)
    _notify_office(
        request,
        "delivery_returned_office",
        refund=quote.amount,
        exit_on=exit_on,
        owed=max(Decimal("0"), -left),
        by_passports=by_passports,
    )
    return ReturnOutcome(refund=quote, replacement_reference=replacement, replacement_refused=refused)


@transaction.atomic
def guarantee_close(*, request_id: int, today: dt.date) -> bool:
    """The guarantee ended without a return: the rest of the money goes to the office and the case closes."""
    request, contract = _lock(RecruitmentRequest(pk=request_id))
    if request.state != RequestState.IN_GUARANTEE or contract.guarantee_ends_on >= today:
        return False
    with translation.override(_language_of(request)):
        release = money.final_release(held=held_balance(request), reason=_("Guarantee ended"))
    _entry(
        request=request,
        contract=contract,
        kind=TrustEntryKind.RELEASED,
        quote=release,
        key=f"release-final-{request.pk}",
    )
    from_state = request.state
    request.close(at=timezone.now())
    request.save()
    _audit("case_closed", actor=None, request=request, from_state=from_state, released=release.amount)
    _notify_household(request, "delivery_closed")
    _notify_office(request, "delivery_closed_office", released=release.amount)
    return True


def guarantees_close_run(*, today: dt.date | None = None) -> int:
    """Daily: close every case whose guarantee ended before today; one transaction per case."""
    today = today or timezone.localdate()
    ended = Contract.objects.filter(
        worker_declined_at__isnull=True, request__state=RequestState.IN_GUARANTEE, guarantee_ends_on__lt=today
    ).values_list("request_id", flat=True)
    return sum(guarantee_close(request_id=request_id, today=today) for request_id in list(ended))


# --- cancellation ----------------------------------------------------------------------------------


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is cancelled.")})
    return reason[:500]


@transaction.atomic
def request_cancel_by_household(
    *, actor: Actor, request: RecruitmentRequest, reason: str
) -> money.CancelQuote:
    """The household cancels before the worker arrives: free before payment, then the fee for the stage
    reached (from the rule set), the rest refunded."""
    _require_household(actor, request)
    request, contract = _lock(request)
    if request.state not in CANCELLABLE_STATES:
        raise ValidationError(_("This request can no longer be cancelled."))
    reason = _require_reason(reason)
    with translation.override(_language_of(request)):
        quote = household_cancellation_quote(request=request)
        refund_reason = _("Request %(reference)s cancelled by the household") % {
            "reference": request.reference
        }
    if request.state == RequestState.IN_PROCESS:
        _refund(
            request=request,
            contract=contract,
            quote=money.Quote(quote.refund, quote.formula),
            key=f"refund-cancel-{request.pk}",
            reason=refund_reason,
            actor=actor,
        )
        _entry(
            request=request,
            contract=contract,
            kind=TrustEntryKind.FEE,
            quote=money.Quote(quote.fee, quote.formula),
            key=f"fee-cancel-{request.pk}",
        )
    elif contract is not None and contract.bill is not None and contract.bill.state == BillState.OPEN:
        bill_cancel(bill=contract.bill, actor=None)
    now = timezone.now()
    OfficeAssignment.objects.filter(request=request, outcome=OfficeAssignment.Outcome.WAITING).update(
        outcome=OfficeAssignment.Outcome.WITHDRAWN, closed_at=now
    )
    from_state = request.state
    request.cancel(at=now)
    request.save()
    _audit(
        "cancelled_by_household",
        actor=actor,
        request=request,
        from_state=from_state,
        reason=reason,
        fee=quote.fee,
        refund=quote.refund,
        formula=quote.formula,
    )
    values = {"fee": quote.fee, "refund": quote.refund, "formula": quote.formula}
    _notify_household(request, "delivery_cancelled", by_office=False, **values)
    _notify_office(request, "delivery_cancelled_office", by_office=False, reason=reason, **values)
    return quote


@transaction.atomic
def request_cancel_by_office(*, actor: Actor, request: RecruitmentRequest, reason: str) -> money.CancelQuote:
    """The office gives up a paid contract: everything held is refunded and the office owes its penalty."""
    _require_office(actor, request)
    request, contract = _lock(request)
    if request.state != RequestState.IN_PROCESS:
        raise ValidationError(_("The office can cancel only a paid contract whose worker has not arrived."))
    reason = _require_reason(reason)
    with translation.override(_language_of(request)):
        quote = office_cancellation_quote(request=request)
        refund_reason = _("Request %(reference)s cancelled by the office") % {"reference": request.reference}
    _refund(
        request=request,
        contract=contract,
        quote=money.Quote(quote.refund, quote.formula),
        key=f"refund-office-cancel-{request.pk}",
        reason=refund_reason,
        actor=actor,
    )
    _entry(
        request=request,
        contract=contract,
        kind=TrustEntryKind.PENALTY,
        quote=money.Quote(quote.penalty, quote.formula),
        key=f"penalty-office-cancel-{request.pk}",
    )
    from_state = request.state
    request.cancel(at=timezone.now())
    request.save()
    _audit(
        "cancelled_by_office",
        actor=actor,
        request=request,
        from_state=from_state,
        reason=reason,
        refund=quote.refund,
        penalty=quote.penalty,
        formula=quote.formula,
    )
    values = {"fee": quote.fee, "refund": quote.refund, "penalty": quote.penalty, "formula": quote.formula}
    _notify_household(request, "delivery_cancelled", sms=True, by_office=True, reason=reason, **values)
    _notify_office(request, "delivery_cancelled_office", by_office=True, reason=reason, **values)
    return quote


# --- rating ----------------------------------------------------------------------------------------


@transaction.atomic
def office_rate(*, actor: Actor, request: RecruitmentRequest, stars: int, comment: str = "") -> OfficeRating:
    """The household rates the office once, after receiving the worker; the office's scorecard shows it."""
    _require_household(actor, request)
    request, _contract = _lock(request)
    if request.state not in RATEABLE_STATES:
        raise ValidationError(_("You can rate the office once the worker has been handed over."))
    if not 1 <= int(stars) <= 5:
        raise ValidationError({"stars": _("Choose from 1 to 5 stars.")})
    if OfficeRating.objects.filter(request=request).exists():
        raise ValidationError(_("You have already rated the office for this request."))
    try:
        with transaction.atomic():
            rating = OfficeRating.objects.create(
                request=request,
                office_id=request.office_id,
                stars=int(stars),
                comment=(comment or "").strip()[:2000],
            )
    except IntegrityError:
        raise ValidationError(_("You have already rated the office for this request.")) from None
    _audit("office_rated", actor=actor, request=request, stars=stars)
    return rating
