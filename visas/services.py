"""Every change to a visa application or a visa, from the application to its cancellation, expiry or use.

Each function checks who may do it, locks what it changes, runs the transition, records it in the
audit trail and tells the household once the transaction commits. The application's process (see
flows.py) is moved on from here; its nodes call back into these functions. Locks are always taken in
the same order, the process row first and the visa row second, so that concurrent payments, decisions,
timers and activation reports never wait on each other in a circle.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from viewflow.workflow.context import Context
from viewflow.workflow.status import STATUS

from households.eligibility import fee_exempt, household_eligibility
from households.models import Household
from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent, DelegationScope
from musaned.accounts.services import audit_record
from musaned.billing.models import Bill, BillPurpose, BillState, Refund
from musaned.billing.services import bill_issue, refund_request
from musaned.dates import format_both
from musaned.notifications.services import notify
from musaned.policy.models import Country, Occupation, Residency, RuleSet
from musaned.policy.money import format_amount
from musaned.policy.services import NoRulesInForce, rules_in_force

from . import rules
from .models import ArrivalCity, Gender, RejectionReason, ReviewFinding, Visa, VisaKind, VisaState
from .selectors import is_referred, late_alert_recipients

if TYPE_CHECKING:
    from .flows import VisaProcess

CODE_ATTEMPTS = 10
CENTS = Decimal("0.01")
ACTIVE_STATES = (VisaState.ISSUED, VisaState.ACTIVATED)


class VisaAlreadyDecided(ValidationError):
    """Someone decided the application first; says who and when, and that nothing was changed."""

    def __init__(self, visa: Visa) -> None:
        who = str(visa.decided_by) if visa.decided_by_id else _("the automatic review")
        when = timezone.localtime(visa.decided_at)
        values = {"who": who, "day": format_both(when), "time": formats.time_format(when, "H:i")}
        if visa.state == VisaState.REJECTED:
            text = _(
                "This application was already rejected by %(who)s on %(day)s at %(time)s. "
                "Nothing was changed."
            )
        else:
            text = _(
                "This application was already approved by %(who)s on %(day)s at %(time)s. "
                "Nothing was changed."
            )
        super().__init__(text % values, code="already_decided")
        self.visa = visa


# --- helpers --------------------------------------------------------------------------------------


def _flow():
    from .flows import VisaFlow

    return VisaFlow


def _process_of(visa: Visa) -> VisaProcess | None:
    from .flows import VisaProcess

    return (
        VisaProcess.objects.filter(
            artifact_content_type=ContentType.objects.get_for_model(Visa), artifact_object_id=visa.pk
        )
        .order_by("-pk")
        .first()
    )


@contextmanager
def _locked(visa: Visa) -> Iterator[Visa]:
    """Lock the application's process, then the application, and give the application as stored now."""
    process = _process_of(visa)
    if process is None:
        yield Visa.objects.select_for_update().get(pk=visa.pk)
        return
    with _flow().lock(process.pk):
        yield Visa.objects.select_for_update().get(pk=visa.pk)


def _open_task(visa: Visa, node_name: str):
    process = _process_of(visa)
    if process is None:
        return None
    node = getattr(_flow(), node_name)
    return (
        process.task_set.filter(flow_task=node)
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED, STATUS.ERROR])
        .order_by("-pk")
        .first()
    )


def _random_digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _digit in range(count))


def _unused(field: str, make) -> str:
    """A new random code not yet used in `field` (the unique constraint is the last word)."""
    for _attempt in range(CODE_ATTEMPTS):
        code = make()
        if not Visa.objects.filter(**{field: code}).exists():
            return code
    raise RuntimeError(f"no unused {field} after {CODE_ATTEMPTS} draws")


def new_reference() -> str:
    """An application number: "VA-" and 12 random digits, so that one number tells nothing of another."""
    return _unused("reference", lambda: "VA-" + _random_digits(12))


def new_visa_number() -> str:
    """A visa number: 10 digits starting with 6, the rest random."""
    return _unused("number", lambda: "6" + _random_digits(9))


def _language_of(household: Household) -> str:
    return household.user.preferred_language or settings.LANGUAGE_CODE


def _visa_url(visa: Visa) -> str:
    return reverse("visas:detail", kwargs={"reference": visa.reference})


def _notify_household(visa: Visa, event: str, **context: Any) -> None:
    household = visa.household
    recipient, mobile, url = household.user, household.mobile, _visa_url(visa)
    values = {"reference": visa.reference, "number": visa.number or "", **context}
    transaction.on_commit(
        lambda: notify(recipient=recipient, event=event, context=values, url=url, sms_to=mobile), robust=True
    )


def _advance(callback) -> None:
    """Move the process on; a failure in a later node is kept on that node (for a flow manager to revive)
    and does not undo the change that moved it."""
    with Context(propagate_exception=False):
        callback()


def _require_household_owner(actor: Actor, visa: Visa) -> None:
    actor.require_scope(DelegationScope.VISA_APPLICATIONS)
    if visa.household.user_id != actor.principal.pk:
        raise PermissionDenied(_("This visa belongs to another household."))


# --- fees -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fee:
    amount: Decimal
    vat: Decimal
    purpose: str
    formula: str


def _vat_included(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount - amount / (1 + rate)).quantize(CENTS, rounding=ROUND_HALF_UP)


def visa_fee_for(*, household: Household, rule_set: RuleSet, kind: str) -> Fee:
    """What an application costs under `rule_set`, with the formula in the household's language.

    The visa fee is a government fee: no VAT. The e-service fee (a re-application or a replacement)
    is the platform's service, published VAT included (2024: 150 SAR + 15% = 172.50 SAR); the bill
    shows the VAT part. A registered disability exempts from the visa fee only, as the rule set says.
    """
    values = {"rule_set": rule_set.name, "rate": format_amount(rule_set.vat_rate * 100)}
    with translation.override(_language_of(household)):
        if kind == VisaKind.NEW:
            if fee_exempt(household, rule_set):
                formula = _(
                    "No fee: registered people with disabilities are exempt from the visa fee "
                    "(rule set %(rule_set)s)."
                )
                return Fee(Decimal("0.00"), Decimal("0.00"), BillPurpose.VISA_FEE, formula % values)
            amount = rule_set.visa_fee
            formula = _("Visa fee %(amount)s SAR, a government fee without VAT (rule set %(rule_set)s).")
            return Fee(
                amount,
                Decimal("0.00"),
                BillPurpose.VISA_FEE,
                formula % {**values, "amount": format_amount(amount)},
            )
        amount = rule_set.eservice_fee
        vat = _vat_included(amount, rule_set.vat_rate)
        if kind == VisaKind.REPLACEMENT:
            formula = _(
                "E-service fee for a replacement visa %(amount)s SAR, "
                "including %(vat)s SAR VAT at %(rate)s%%; "
                "no visa fee (rule set %(rule_set)s)."
            )
        else:
            formula = _(
                "E-service fee for a re-application %(amount)s SAR, including %(vat)s SAR VAT at %(rate)s%%; "
                "no visa fee (rule set %(rule_set)s)."
            )
        values |= {"amount": format_amount(amount), "vat": format_amount(vat)}
        return Fee(amount, vat, BillPurpose.ESERVICE_FEE, formula % values)


def _open_application(
    *,
    household: Household,
    applied_by,
    actor: Actor | None,
    kind: str,
    rule_set: RuleSet,
    occupation: Occupation,
    nationality: Country,
    gender: str,
    arrival_city: str,
    stated_income: Decimal,
    replaces: Visa | None = None,
) -> Visa:
    """Create the application with its fee: a bill to pay, or (fee waived) straight to review."""
    fee = visa_fee_for(household=household, rule_set=rule_set, kind=kind)
    visa = Visa.objects.create(
        reference=new_reference(),
        household=household,
        applied_by=applied_by,
        kind=kind,
        replaces=replaces,
        occupation=occupation,
        nationality=nationality,
        gender=gender,
        arrival_city=arrival_city,
        stated_income=stated_income,
        rule_set=rule_set,
        fee_amount=fee.amount,
        fee_formula=fee.formula[:300],
    )
    if fee.amount > 0:
        visa.bill = bill_issue(
            payer=household.user,
            subject=visa,
            purpose=fee.purpose,
            amount=fee.amount,
            formula=fee.formula,
            rule_set=rule_set,
            vat_amount=fee.vat,
        )
        visa.save(update_fields=["bill"])
    else:
        _start_review(visa)
    audit_record(
        action="visa.replacement_applied" if replaces else "visa.applied",
        actor=actor,
        target=visa,
        to_state=VisaState.AWAITING_PAYMENT,
        changes={
            "kind": kind,
            "occupation": occupation.code,
            "nationality": nationality.code,
            "gender": gender,
            "arrival_city": arrival_city,
            "stated_income": str(stated_income),
            "fee": str(fee.amount),
            "bill": visa.bill.number if visa.bill_id else None,
            "replaces": replaces.number if replaces else None,
        },
    )
    if not visa.bill_id:
        audit_record(
            action="visa.fee_waived",
            actor=None,
            target=visa,
            from_state=VisaState.AWAITING_PAYMENT,
            to_state=visa.state,
            changes={"decision_due_at": visa.decision_due_at.isoformat()},
        )
        _notify_household(visa, "visa_under_review", decision_due=visa.decision_due_at)
    else:
        bill = visa.bill
        _notify_household(
            visa, "visa_bill_issued", amount=bill.amount, bill_number=bill.number, due=bill.due_at
        )
    _advance(lambda: _flow().start.run(visa=visa))
    return visa


def _start_review(visa: Visa) -> None:
    now = timezone.now()
    visa.start_review(at=now, decision_due_at=now + dt.timedelta(hours=visa.rule_set.visa_decision_hours))
    visa.save()


# --- application ----------------------------------------------------------------------------------


@transaction.atomic
def visa_apply(
    *,
    actor: Actor,
    occupation: Occupation,
    nationality: Country,
    gender: str,
    arrival_city: str,
    stated_income: Decimal,
) -> Visa:
    """Apply for a domestic-worker visa for the actor's household, under the rules in force today.

    The household row is locked while eligibility is judged, so that two applications sent at once
    are judged one after the other and together never exceed the household's tier.
    """
    actor.require_scope(DelegationScope.VISA_APPLICATIONS)
    if not actor.principal.has_perm("households.manage_own_household"):
        raise PermissionDenied(_("Only a household account can apply for a visa."))
    errors = {}
    if not occupation.active:
        errors["occupation"] = _("This occupation is not open for new visas.")
    if not nationality.active:
        errors["nationality"] = _("Recruitment from this country is closed.")
    if gender not in Gender.values:
        errors["gender"] = _("Choose the worker's gender.")
    if arrival_city not in ArrivalCity.values:
        errors["arrival_city"] = _("Choose the airport where the worker will arrive.")
    if stated_income is None or stated_income <= 0:
        errors["stated_income"] = _("Enter your monthly salary in SAR.")
    if errors:
        raise ValidationError(errors)

    household = Household.objects.select_for_update().filter(user=actor.principal).first()
    if household is None:
        raise ValidationError(_("Register your household before applying for a visa."))
    try:
        eligibility = household_eligibility(household=household, on=timezone.localdate())
    except NoRulesInForce:
        raise ValidationError(_("Visa applications are closed today: no rules are in force.")) from None
    if not eligibility.eligible:
        raise ValidationError(eligibility.reasons)
    rule_set = eligibility.rule_set
    if (
        household.residency == Residency.RESIDENT
        and household.nationality_id == nationality.pk
        and not rule_set.resident_may_recruit_compatriot
    ):
        raise ValidationError(
            {"nationality": _("As a resident, you may not recruit a worker of your own nationality.")}
        )

    rejected_before = household.visas.filter(
        state=VisaState.REJECTED, occupation=occupation, nationality=nationality
    ).exists()
    return _open_application(
        household=household,
        applied_by=actor.user,
        actor=actor,
        kind=VisaKind.REAPPLICATION if rejected_before else VisaKind.NEW,
        rule_set=rule_set,
        occupation=occupation,
        nationality=nationality,
        gender=gender,
        arrival_city=arrival_city,
        stated_income=stated_income,
    )


@transaction.atomic
def visa_record_payment(*, bill: Bill) -> Visa | None:
    """The fee bill is paid (billing's bill_paid): the review starts and the process moves on. Idempotent."""
    visa = Visa.objects.filter(bill=bill).first()
    if visa is None:
        return None
    with _locked(visa) as visa:
        if visa.state != VisaState.AWAITING_PAYMENT:
            return visa
        _start_review(visa)
        audit_record(
            action="visa.review_started",
            actor=None,
            target=visa,
            from_state=VisaState.AWAITING_PAYMENT,
            to_state=visa.state,
            changes={
                "bill": bill.number,
                "paid": str(bill.paid_amount),
                "decision_due_at": visa.decision_due_at.isoformat(),
            },
        )
        _notify_household(visa, "visa_under_review", decision_due=visa.decision_due_at)
        task = _open_task(visa, "await_payment")
        if task is not None and task.status == STATUS.NEW:
            _advance(lambda: _flow().await_payment.run(task))
    return Visa.objects.get(pk=visa.pk)


@transaction.atomic
def visa_withdraw_unpaid(*, bill: Bill) -> Visa | None:
    """The fee bill expired unpaid (billing's bill_expired): withdraw the application, end its process."""
    visa = Visa.objects.filter(bill=bill).first()
    if visa is None:
        return None
    with _locked(visa) as visa:
        if visa.state != VisaState.AWAITING_PAYMENT:
            return visa
        visa.withdraw(at=timezone.now())
        visa.save()
        audit_record(
            action="visa.withdrawn",
            actor=None,
            target=visa,
            from_state=VisaState.AWAITING_PAYMENT,
            to_state=visa.state,
            changes={"bill": bill.number},
        )
        process = _process_of(visa)
        if process is not None and process.status not in (STATUS.DONE, STATUS.CANCELED):
            _flow().instance.cancel(process)
    return visa


# --- review and decision --------------------------------------------------------------------------


def _issue(visa: Visa, *, actor: Actor | None) -> None:
    from .tasks import visa_render_document

    now = timezone.now()
    from_state = visa.state
    valid_until = timezone.localdate(now) + dt.timedelta(days=visa.rule_set.visa_validity_days)
    visa.issue(
        number=new_visa_number(), at=now, valid_until=valid_until, decided_by=actor.user if actor else None
    )
    visa.save()
    audit_record(
        action="visa.issued",
        actor=actor,
        target=visa,
        from_state=from_state,
        to_state=visa.state,
        changes={"number": visa.number, "valid_until": valid_until.isoformat()},
    )
    visa_id = visa.pk
    transaction.on_commit(lambda: visa_render_document.delay(visa_id), robust=True)
    _notify_household(visa, "visa_issued", valid_until=valid_until)


def _reject(visa: Visa, *, actor: Actor | None, reason: str, note: str) -> None:
    from_state = visa.state
    visa.reject(reason=reason, note=note, at=timezone.now(), decided_by=actor.user if actor else None)
    visa.save()
    audit_record(
        action="visa.rejected",
        actor=actor,
        target=visa,
        from_state=from_state,
        to_state=visa.state,
        changes={"reason": reason, "note": note},
    )
    _notify_household(visa, "visa_rejected", reason=reason, note=note)


def _rule_note(finding: rules.Finding) -> str:
    """What the household reads under the reason of a rejection by rule: the eligibility reasons, if any."""
    return " ".join(finding.params.get("reasons", []))


@transaction.atomic
def visa_review_automatically(*, visa: Visa) -> str:
    """Run the review rules on a paid application; approve, reject, or leave it for an officer.

    Returns "approve", "reject" or "refer". The findings are stored once: asked again, the outcome
    they gave is returned and nothing changes.
    """
    with _locked(visa) as visa:
        stored = list(visa.findings.all())
        if stored:
            return rules.outcome(stored)
        if visa.state != VisaState.UNDER_REVIEW:
            raise ValidationError(_("Only an application under review can be reviewed."))
        findings = rules.evaluate(visa)
        ReviewFinding.objects.bulk_create(
            ReviewFinding(visa=visa, rule=finding.rule, verdict=finding.verdict, params=finding.params)
            for finding in findings
        )
        result = rules.outcome(findings)
        audit_record(
            action="visa.auto_reviewed",
            actor=None,
            target=visa,
            changes={"outcome": result, "findings": {finding.rule: finding.verdict for finding in findings}},
        )
        if result == rules.APPROVE:
            _issue(visa, actor=None)
        elif result == rules.REJECT:
            rejection = rules.first_rejection(findings)
            _reject(visa, actor=None, reason=rejection.reason, note=_rule_note(rejection))
        else:
            audit_record(
                action="visa.referred",
                actor=None,
                target=visa,
                changes={"rules": [finding.rule for finding in findings if finding.verdict == "refer"]},
            )
        return result


def _finish_officer_task(task, user) -> None:
    """Complete the officer's task in the process (taking it first if nobody had), so the flow moves on."""
    activation = task.flow_task.activation_class(task)
    if activation.assign.can_proceed():
        activation.assign(user)
    if activation.start.can_proceed():
        activation.start(None)
    _advance(activation.execute)


@transaction.atomic
def visa_decide(*, actor: Actor, visa: Visa, approve: bool, reason: str = "", note: str = "") -> Visa:
    """An officer of the visa-review group approves or rejects an application the rules referred.

    Of two officers deciding at once, the first decision stands and the second gets
    VisaAlreadyDecided. A rejection needs a reason from the list, and a note when the reason is "other".
    The decision is the officer's own act: a delegate cannot make it.
    """
    if actor.is_delegate or not actor.user.has_perm("visas.review_visa"):
        raise PermissionDenied(_("Only officers of the visa review group can decide visa applications."))
    note = (note or "").strip()
    if not approve:
        if reason not in RejectionReason.values:
            raise ValidationError({"reason": _("Choose why the application is rejected.")})
        if reason == RejectionReason.OTHER and not note:
            raise ValidationError({"note": _("Explain the reason in the note.")})
    with _locked(visa) as current:
        if current.state != VisaState.UNDER_REVIEW:
            if current.decided_at is not None:
                raise VisaAlreadyDecided(current)
            raise ValidationError(_("This application is not under review."))
        if not is_referred(current):
            raise ValidationError(_("This application was not sent to an officer."))
        task = _open_task(current, "officer_review")
        if task is not None and task.owner_id not in (None, actor.user.pk):
            raise PermissionDenied(_("Another officer has taken this case: it is in their inbox."))
        if approve:
            _issue(current, actor=actor)
        else:
            _reject(current, actor=actor, reason=reason, note=note)
        if task is not None:
            _finish_officer_task(task, actor.user)
    return current


@transaction.atomic
def visa_alert_late_decision(*, visa: Visa) -> int:
    """Tell the supervisors, once per application, that an officer's decision is about to be late.

    Returns how many supervisors were told (0 when the case was decided meanwhile or already alerted).
    """
    visa = Visa.objects.select_for_update().get(pk=visa.pk)
    if visa.state != VisaState.UNDER_REVIEW:
        return 0
    already = AuditEvent.objects.filter(
        action="visa.decision_late_alerted",
        target_type=ContentType.objects.get_for_model(Visa),
        target_id=str(visa.pk),
    ).exists()
    if already:
        return 0
    supervisors = list(late_alert_recipients())
    audit_record(
        action="visa.decision_late_alerted",
        actor=None,
        target=visa,
        changes={"decision_due_at": visa.decision_due_at.isoformat(), "supervisors": len(supervisors)},
    )
    context = {"reference": visa.reference, "number": visa.number or "", "decision_due": visa.decision_due_at}
    url = _case_url(visa)
    for supervisor in supervisors:
        transaction.on_commit(
            lambda supervisor=supervisor: notify(
                recipient=supervisor,
                event="visa_decision_late",
                context=context,
                url=url,
                channels=("in_app", "email"),
            ),
            robust=True,
        )
    return len(supervisors)


def _case_url(visa: Visa) -> str:
    """The case in the officers' application, where it is mounted."""
    process = _process_of(visa)
    if process is None:
        return ""
    try:
        return reverse("visa_review:applications:process_detail", args=[process.pk])
    except NoReverseMatch:
        return ""


# --- activation, use, expiry ----------------------------------------------------------------------


@transaction.atomic
def visa_record_activation(*, visa: Visa, reference: str) -> Visa:
    """The foreign ministry activated the visa; a repeated report changes nothing."""
    with _locked(visa) as visa:
        if visa.state != VisaState.ISSUED:
            return visa
        visa.activate(reference=reference[:64], at=timezone.now())
        visa.save()
        audit_record(
            action="visa.activated",
            actor=None,
            target=visa,
            from_state=VisaState.ISSUED,
            to_state=visa.state,
            changes={"activation_ref": visa.activation_ref},
        )
        _notify_household(visa, "visa_activated")
    return visa


@transaction.atomic
def visa_mark_used(*, visa: Visa, at: dt.datetime, actor: Actor | None = None) -> Visa:
    """A worker arrived on this visa (called by the recruitment stage, which checks its own actor)."""
    with _locked(visa) as visa:
        if visa.state == VisaState.USED:
            return visa
        if visa.state not in ACTIVE_STATES:
            raise ValidationError(_("Only an issued or activated visa can be used."))
        from_state = visa.state
        visa.use(at=at)
        visa.save()
        audit_record(
            action="visa.used",
            actor=actor,
            target=visa,
            from_state=from_state,
            to_state=visa.state,
            changes={"used_at": at.isoformat()},
        )
    return visa


@transaction.atomic
def visa_expire(*, visa_id: int, today: dt.date) -> bool:
    """Close one visa whose validity ended before `today`; False if it was closed or used meanwhile."""
    visa = Visa.objects.select_for_update().filter(pk=visa_id).first()
    if visa is None or visa.state not in ACTIVE_STATES or not visa.valid_until or visa.valid_until >= today:
        return False
    from_state = visa.state
    visa.expire(at=timezone.now())
    visa.save()
    audit_record(
        action="visa.expired",
        actor=None,
        target=visa,
        from_state=from_state,
        to_state=visa.state,
        changes={"valid_until": visa.valid_until.isoformat()},
    )
    _notify_household(visa, "visa_expired")
    return True


def visa_expire_due(*, today: dt.date | None = None) -> int:
    """Expire every unused visa past its validity (daily); one transaction per visa. Returns how many."""
    today = today or timezone.localdate()
    due = Visa.objects.filter(state__in=ACTIVE_STATES, valid_until__lt=today).values_list("pk", flat=True)
    return sum(visa_expire(visa_id=visa_id, today=today) for visa_id in list(due))


# --- cancellation and refund ----------------------------------------------------------------------


@dataclass(frozen=True)
class RefundQuote:
    amount: Decimal
    formula: str


def _age_in_days(visa: Visa, today: dt.date) -> int:
    return (today - timezone.localdate(visa.issued_at)).days


def _cancel_refusal(visa: Visa, today: dt.date) -> str:
    """Why the visa cannot be cancelled, or "" when it can."""
    if visa.state not in ACTIVE_STATES:
        return _("Only an issued or activated visa can be cancelled.")
    if visa.used_at is not None:
        return _("A visa a worker has arrived on cannot be cancelled.")
    max_age = visa.rule_set.visa_cancel_max_age_days
    if visa.issued_at is None or _age_in_days(visa, today) >= max_age:
        return _("A visa can be cancelled only within %(days)d days of its issue.") % {"days": max_age}
    return ""


def visa_cancellable(*, visa: Visa) -> bool:
    return not _cancel_refusal(visa, timezone.localdate())


def visa_cancel_refund(*, visa: Visa) -> RefundQuote:
    """What cancelling gives back: the fee paid, in full, and how it was computed (in the active language)."""
    bill = visa.bill
    if bill is None or bill.state != BillState.PAID or bill.refundable_amount <= 0:
        return RefundQuote(
            Decimal("0.00"), _("No fee was paid for this visa, so there is nothing to refund.")
        )
    formula = _(
        "The fee paid, %(amount)s SAR (bill %(bill)s), is refunded in full: the visa is cancelled unused "
        "within %(days)d days of its issue (rule set %(rule_set)s)."
    ) % {
        "amount": format_amount(bill.refundable_amount),
        "bill": bill.number,
        "days": visa.rule_set.visa_cancel_max_age_days,
        "rule_set": visa.rule_set.name,
    }
    return RefundQuote(bill.refundable_amount, formula)


@transaction.atomic
def visa_cancel(*, actor: Actor, visa: Visa) -> Visa:
    """The household cancels an unused visa; the fee goes back through the payment service."""
    _require_household_owner(actor, visa)
    with _locked(visa) as visa:
        refusal = _cancel_refusal(visa, timezone.localdate())
        if refusal:
            raise ValidationError(refusal)
        from_state = visa.state
        visa.cancel(at=timezone.now())
        visa.save()
        with translation.override(_language_of(visa.household)):
            quote = visa_cancel_refund(visa=visa)
            reason = _("Visa %(number)s cancelled by the household") % {"number": visa.number}
        if quote.amount > 0:
            refund_request(
                bill=visa.bill,
                amount=quote.amount,
                reason=reason,
                formula=quote.formula,
                idempotency_key=f"visa-cancel-{visa.pk}",
                actor=actor,
            )
        audit_record(
            action="visa.cancelled",
            actor=actor,
            target=visa,
            from_state=from_state,
            to_state=visa.state,
            changes={"refund_amount": str(quote.amount), "formula": quote.formula},
        )
        _notify_household(visa, "visa_cancelled", refund_amount=quote.amount)
    return visa


@transaction.atomic
def visa_record_refund(*, refund: Refund) -> Visa | None:
    """The fee of a cancelled visa reached the payer (billing's refund_completed)."""
    visa = Visa.objects.filter(bill_id=refund.bill_id).first()
    if visa is None:
        return None
    audit_record(
        action="visa.refunded",
        actor=None,
        target=visa,
        changes={"refund": refund.pk, "amount": str(refund.amount), "gateway_ref": refund.gateway_ref},
    )
    _notify_household(visa, "visa_refunded", amount=refund.amount)
    return visa


# --- replacement ----------------------------------------------------------------------------------


@transaction.atomic
def visa_replace(*, visa: Visa, arrival_on: dt.date, exit_on: dt.date, actor: Actor | None) -> Visa:
    """Open a replacement for a used visa whose worker left on final exit soon after arriving.

    Called by the recruitment stage, which checks that its actor may ask (a household may ask only
    for its own visas). The replacement keeps the original's occupation, nationality, gender and
    airport, costs the e-service fee instead of the visa fee, is not judged against the tiers again
    (it takes the place of the one held) and cannot itself be replaced.
    """
    original = Visa.objects.select_for_update().get(pk=visa.pk)
    household = Household.objects.select_for_update().get(pk=original.household_id)
    if actor is not None:
        actor.require_scope(DelegationScope.RECRUITMENT)
        if (
            actor.principal.has_perm("households.manage_own_household")
            and household.user_id != actor.principal.pk
        ):
            raise PermissionDenied(_("This visa belongs to another household."))
    today = timezone.localdate()
    try:
        rule_set = rules_in_force(on=today)
    except NoRulesInForce:
        raise ValidationError(_("No rules are in force today.")) from None
    window = rule_set.replacement_return_window_days
    max_age = rule_set.visa_cancel_max_age_days
    errors = []
    if original.kind == VisaKind.REPLACEMENT:
        errors.append(_("A replacement visa cannot itself be replaced."))
    elif original.state != VisaState.USED:
        errors.append(_("Only a visa a worker arrived on can be replaced."))
    elif Visa.objects.filter(replaces=original).exists():
        errors.append(_("This visa has already been replaced."))
    if exit_on < arrival_on:
        errors.append(_("The exit date cannot be before the arrival date."))
    elif (exit_on - arrival_on).days > window:
        errors.append(
            _(
                "A replacement visa is given only when the worker leaves within %(window)d days of arriving; "
                "this worker left after %(days)d days."
            )
            % {"window": window, "days": (exit_on - arrival_on).days}
        )
    if original.issued_at is None or _age_in_days(original, today) >= max_age:
        errors.append(_("A visa can be replaced only within %(days)d days of its issue.") % {"days": max_age})
    if not household.identity_confirmed:
        errors.append(_("The household's identity has not been confirmed."))
    if errors:
        raise ValidationError(errors)

    replacement = _open_application(
        household=household,
        applied_by=actor.user if actor else household.user,
        actor=actor,
        kind=VisaKind.REPLACEMENT,
        rule_set=rule_set,
        occupation=original.occupation,
        nationality=original.nationality,
        gender=original.gender,
        arrival_city=original.arrival_city,
        stated_income=household.monthly_income or original.stated_income,
        replaces=original,
    )
    _notify_household(replacement, "visa_replacement_issued", replaces=original.number)
    return replacement


# --- the printed visa -----------------------------------------------------------------------------

AIRPORTS_AR = {
    ArrivalCity.RIYADH: "الرياض (مطار الملك خالد الدولي)",
    ArrivalCity.JEDDAH: "جدة (مطار الملك عبدالعزيز الدولي)",
    ArrivalCity.DAMMAM: "الدمام (مطار الملك فهد الدولي)",
    ArrivalCity.MADINAH: "المدينة المنورة (مطار الأمير محمد بن عبدالعزيز)",
    ArrivalCity.ABHA: "مطار أبها الدولي",
    ArrivalCity.TAIF: "مطار الطائف الدولي",
    ArrivalCity.TABUK: "تبوك (مطار الأمير سلطان بن عبدالعزيز)",
    ArrivalCity.QASSIM: "القصيم (مطار الأمير نايف بن عبدالعزيز)",
    ArrivalCity.HAIL: "مطار حائل الدولي",
    ArrivalCity.JAZAN: "جازان (مطار الملك عبدالله بن عبدالعزيز)",
}
GENDERS = {Gender.FEMALE: {"ar": "أنثى", "en": "Female"}, Gender.MALE: {"ar": "ذكر", "en": "Male"}}
KINDS = {
    VisaKind.NEW: {"ar": "تأشيرة جديدة", "en": "New visa"},
    VisaKind.REAPPLICATION: {"ar": "تأشيرة (إعادة طلب)", "en": "Visa (re-application)"},
    VisaKind.REPLACEMENT: {"ar": "تأشيرة بديلة", "en": "Replacement visa"},
}


def _masked_id(national_id: str) -> str:
    return "•" * (len(national_id) - 4) + national_id[-4:]


def visa_statement(visa: Visa) -> dict[str, Any]:
    """Exactly what the visa prints, in Arabic and English; the verification page shows this and no more."""
    household = visa.household
    facts = [
        {"label": {"ar": "رقم التأشيرة", "en": "Visa number"}, "value": visa.number},
        {"label": {"ar": "نوع التأشيرة", "en": "Kind"}, "value": KINDS[visa.kind]},
    ]
    if visa.replaces_id:
        facts.append(
            {"label": {"ar": "بدلاً من التأشيرة", "en": "Replaces visa"}, "value": visa.replaces.number}
        )
    facts += [
        {
            "label": {"ar": "صاحب العمل", "en": "Employer"},
            "value": {"ar": household.name_ar, "en": household.name_en},
        },
        {"label": {"ar": "رقم الهوية", "en": "ID number"}, "value": _masked_id(household.national_id)},
        {
            "label": {"ar": "المهنة", "en": "Occupation"},
            "value": {"ar": visa.occupation.name_ar, "en": visa.occupation.name_en},
        },
        {
            "label": {"ar": "الجنسية", "en": "Nationality"},
            "value": {"ar": visa.nationality.name_ar, "en": visa.nationality.name_en},
        },
        {"label": {"ar": "جنس العامل", "en": "Worker's gender"}, "value": GENDERS[visa.gender]},
        {
            "label": {"ar": "مطار القدوم", "en": "Arrival airport"},
            "value": {"ar": AIRPORTS_AR[visa.arrival_city], "en": str(ArrivalCity(visa.arrival_city).label)},
        },
        {
            "label": {"ar": "تاريخ الإصدار", "en": "Date of issue"},
            "value": timezone.localdate(visa.issued_at),
        },
    ]
    return {"title": {"ar": "تأشيرة عمالة منزلية", "en": "Domestic worker visa"}, "facts": facts}


@transaction.atomic
def visa_issue_document(*, visa: Visa):
    """Print the visa (a new stored version only when what it states changed); the system's own act."""
    from musaned.documents.services import document_issue

    visa = Visa.objects.select_related("household", "occupation", "nationality", "replaces", "rule_set").get(
        pk=visa.pk
    )
    if visa.number is None:
        raise ValidationError(_("Only an issued visa can be printed."))
    with translation.override("en"):
        statement = visa_statement(visa)
    return document_issue(
        subject=visa,
        kind="visa",
        template="documents/visa.html",
        context={
            "visa_number": visa.number,
            "validity_days": visa.rule_set.visa_validity_days,
            "cancel_days": visa.rule_set.visa_cancel_max_age_days,
        },
        statement=statement,
        language="ar",
        valid_until=visa.valid_until,
    )
