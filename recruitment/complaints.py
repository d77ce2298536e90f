"""Complaints about a recruitment office: filed by the household or the worker, answered by the office,
escalated to the ministry's complaints group when unresolved, and decided there.

A complaint may be filed while the contract is in force: from the worker's acceptance (the case then
awaits payment) through the delivery and arrival until the guarantee period ends. Before the worker
accepts there is no contract binding the office; after a case is closed, cancelled, void or returned,
its money has been settled by the rules and the case is over.

The office has `complaint_response_days` of the contract's rule set to answer. The complainant then
accepts the answer or escalates; a complaint left unanswered past its deadline goes to the ministry by
the scheduled task. The ministry decides: a refund from the case's bill, a warning or a suspension of the
office, or no action. Every decision is recorded in the audit trail and shows on the office's scorecard.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from households.uploads import ALLOWED_TYPES, detect_type, sha256_of
from musaned.accounts.actor import Actor
from musaned.accounts.models import DelegationScope, User
from musaned.accounts.roles import Role
from musaned.accounts.services import audit_record
from musaned.policy.money import format_amount

from .models import (
    Complaint,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintState,
    Contract,
    RecruitmentRequest,
    RequestState,
    SanctionKind,
    TrustEntry,
    TrustEntryKind,
)

# The case states in which the contract is in force, so a complaint may be filed.
COMPLAINT_REQUEST_STATES = (
    RequestState.AWAITING_PAYMENT,
    RequestState.IN_PROCESS,
    RequestState.ARRIVED,
    RequestState.IN_GUARANTEE,
)
# A complaint in one of these states is still being handled: the case shows as disputed.
OPEN_COMPLAINT_STATES = (ComplaintState.OPEN, ComplaintState.ANSWERED, ComplaintState.ESCALATED)
MAX_ATTACHMENTS = 5
DESCRIPTION_MAX_LENGTH = 4000
E164 = re.compile(r"\+[1-9]\d{7,14}")
# Worker links are made by secrets.token_urlsafe(32): 43 URL-safe characters.
WORKER_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class ComplaintDecision(models.TextChoices):
    REFUND = "refund", gettext_lazy("Refund to the household")
    WARNING = "warning", gettext_lazy("Warning to the office")
    SUSPENSION = "suspension", gettext_lazy("Suspension of the office")
    DISMISSED = "dismissed", gettext_lazy("No action: the complaint is not upheld")


# --- who may act -----------------------------------------------------------------------------------


def _require_household_party(actor: Actor, request: RecruitmentRequest) -> None:
    """The household of the case, or its delegate for complaints."""
    if request.household.user_id != actor.principal.pk:
        raise PermissionDenied(_("This recruitment case is not yours."))
    actor.require_scope(DelegationScope.COMPLAINTS)


def _require_complainant(actor: Actor, complaint: Complaint) -> None:
    if complaint.by_worker:
        raise PermissionDenied(_("Only the worker who filed this complaint can answer for it."))
    _require_household_party(actor, complaint.request)


def office_member_of(actor: Actor, office_id: int) -> bool:
    """Whether the account acted for works for this office and may work its cases."""
    principal = actor.principal
    membership = getattr(principal, "office_membership", None)
    return (
        membership is not None
        and membership.office_id == office_id
        and principal.has_perm("recruitment.work_requests")
    )


def _require_office_member(actor: Actor, complaint: Complaint) -> None:
    if not office_member_of(actor, complaint.office_id):
        raise PermissionDenied(_("Only the staff of the office complained about can answer this complaint."))
    actor.require_scope(DelegationScope.COMPLAINTS)


def may_decide(actor: Actor) -> bool:
    """The ministry's complaints group (and supervisors), acting in person."""
    return not actor.is_delegate and actor.user.has_perm("recruitment.decide_complaints")


# --- reads the services share with the pages ------------------------------------------------------


def live_contract(request: RecruitmentRequest) -> Contract | None:
    """The contract the case runs on now (a contract the worker declined is superseded)."""
    return (
        Contract.objects.filter(request=request, worker_declined_at__isnull=True)
        .select_related("bill", "cv", "rule_set")
        .order_by("-created_at", "-id")
        .first()
    )


def complaint_refusal(request: RecruitmentRequest, contract: Contract | None) -> str:
    """Why no complaint can be filed on this case now; empty when one can."""
    if request.state not in COMPLAINT_REQUEST_STATES or contract is None or request.office_id is None:
        return _(
            "A complaint can be filed while the contract is in force: from the worker's acceptance until "
            "the end of the guarantee period. This case is %(state)s."
        ) % {"state": request.get_state_display()}
    return ""


def contract_for_worker(token: str) -> Contract | None:
    """The contract a worker's link opens; None for an unknown or malformed token.

    The token is compared in constant time once the row is found, so the answer time does not tell
    how much of a guessed token was right.
    """
    if not WORKER_TOKEN.fullmatch(token or ""):
        return None
    contract = (
        Contract.objects.select_related("request", "request__office", "cv", "rule_set")
        .filter(worker_token=token)
        .first()
    )
    if contract is None or not secrets.compare_digest(contract.worker_token, token):
        return None
    return contract


def worker_page_language(contract: Contract) -> str:
    """The site language closest to the worker's: hers when the site speaks it, English otherwise."""
    available = {code for code, _name in settings.LANGUAGES}
    return contract.worker_language if contract.worker_language in available else "en"


def worker_phone(contract: Contract) -> str:
    """The worker's mobile number in international form, when the case has one."""
    for phone in (contract.cv.phone, contract.request.named_worker_phone):
        phone = re.sub(r"[\s\-()]", "", phone or "")
        if E164.fullmatch(phone):
            return phone
    return ""


def download_name(attachment: ComplaintAttachment) -> str:
    """The original name with the extension of the type actually stored, so the file opens correctly."""
    stem = Path(attachment.original_name).stem or "attachment"
    return f"{stem}.{ALLOWED_TYPES.get(attachment.content_type, 'bin')}"


# --- notifications ---------------------------------------------------------------------------------


def _household_language(request: RecruitmentRequest) -> str:
    return request.household.user.preferred_language or settings.LANGUAGE_CODE


def _office_people(office_id: int) -> list[User]:
    return list(User.objects.filter(office_membership__office_id=office_id, is_active=True).order_by("pk"))


def _complaints_group() -> list[User]:
    return list(User.objects.filter(groups__name=Role.COMPLAINTS, is_active=True).distinct().order_by("pk"))


def _context(complaint: Complaint) -> dict[str, Any]:
    return {
        "number": complaint.pk,
        "reference": complaint.request.reference,
        "office_ar": complaint.office.name_ar,
        "office_en": complaint.office.name_en,
        "category": ComplaintCategory(complaint.category).label,
        "by_worker": complaint.by_worker,
        "response_due_at": complaint.response_due_at.isoformat(),
    }


def _notify(recipients: Sequence[User], event: str, url: str, **context: Any) -> None:
    """Tell each person in the inbox and by e-mail once the change commits."""

    def send() -> None:
        from musaned.notifications.services import notify

        for recipient in recipients:
            notify(recipient=recipient, event=event, context=context, url=url, channels=("in_app", "email"))

    transaction.on_commit(send, robust=True)


def _text_worker(contract: Contract, event: str) -> None:
    """An SMS to the worker with the link to her complaints page, in her own language (or English)."""
    phone = worker_phone(contract)
    if not phone:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("complaints:worker", args=[contract.worker_token])
    language = contract.worker_language

    def send() -> None:
        from musaned.notifications.services import notify_worker

        notify_worker(to=phone, event=event, language=language, context={"link": link})

    transaction.on_commit(send, robust=True)


def _tell_complainant(complaint: Complaint, *, event: str, worker_event: str, **context: Any) -> None:
    """The household in its inbox and by e-mail; the worker, who has no account, by SMS.

    A worker's complaint is filed on the contract in force, which no later step replaces, so the live
    contract is hers.
    """
    if complaint.by_worker:
        contract = live_contract(complaint.request)
        if contract is not None:
            _text_worker(contract, worker_event)
        return
    _notify(
        [complaint.request.household.user],
        event,
        reverse("complaints:detail", args=[complaint.pk]),
        **context,
    )


# --- filing ----------------------------------------------------------------------------------------


def _attachment_errors(attachments: Sequence[UploadedFile]) -> list[str]:
    errors = []
    if len(attachments) > MAX_ATTACHMENTS:
        errors.append(
            ngettext("Attach at most %(count)d file.", "Attach at most %(count)d files.", MAX_ATTACHMENTS)
            % {"count": MAX_ATTACHMENTS}
        )
    for upload in attachments:
        name = Path(upload.name or "").name
        if upload.size > settings.UPLOAD_MAX_BYTES:
            errors.append(
                _("%(name)s is too large: the limit is %(limit)s.")
                % {"name": name, "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)}
            )
        elif detect_type(upload) is None:
            errors.append(
                _("%(name)s is not a PDF, JPEG or PNG document. Attach only those.") % {"name": name}
            )
    return errors


def _filing_errors(category: str, description: str, attachments: Sequence[UploadedFile]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if category not in ComplaintCategory.values:
        errors["category"] = _("Choose what the complaint is about.")
    description = (description or "").strip()
    if not description:
        errors["description"] = _("Describe what happened.")
    elif len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = _("Keep the description under %(count)d characters.") % {
            "count": DESCRIPTION_MAX_LENGTH
        }
    attachment_errors = _attachment_errors(attachments)
    if attachment_errors:
        errors["attachments"] = attachment_errors
    return errors


def _open_complaint(
    *,
    actor: Actor | None,
    request: RecruitmentRequest,
    contract: Contract,
    by_worker: bool,
    category: str,
    description: str,
    attachments: Sequence[UploadedFile],
    now: dt.datetime,
) -> Complaint:
    """Check, store with its attachments, record, and tell the office: the part both kinds of filing share."""
    errors = _filing_errors(category, description, attachments)
    if errors:
        raise ValidationError(errors)
    complaint = Complaint.objects.create(
        request=request,
        office=request.office,
        by_worker=by_worker,
        filed_by=actor.user if actor else None,
        category=category,
        description=description.strip(),
        response_due_at=now + dt.timedelta(days=contract.rule_set.complaint_response_days),
    )
    for upload in attachments:
        attachment = ComplaintAttachment(
            complaint=complaint,
            original_name=Path(upload.name or "").name[-200:] or "attachment",
            content_type=detect_type(upload),
            size=upload.size,
            sha256=sha256_of(upload),
        )
        attachment.file = upload
        attachment.save()
    audit_record(
        action="complaint.filed",
        actor=actor,
        target=complaint,
        to_state=complaint.state,
        changes={
            "request": complaint.request.reference,
            "office": complaint.office_id,
            "contract": contract.pk,
            "by_worker": complaint.by_worker,
            "category": complaint.category,
            "attachments": [[a.original_name, a.sha256] for a in complaint.attachments.all()],
            "response_due_at": complaint.response_due_at.isoformat(),
        },
    )
    _notify(
        _office_people(complaint.office_id),
        "complaint_filed",
        reverse("complaints:office_detail", args=[complaint.pk]),
        **_context(complaint),
    )
    return complaint


@transaction.atomic
def complaint_file(
    *,
    actor: Actor,
    request: RecruitmentRequest,
    category: str,
    description: str,
    attachments: Sequence[UploadedFile] = (),
    now: dt.datetime | None = None,
) -> Complaint:
    """The household complains about the office of its case; the office must answer in the rule's days."""
    request = (
        RecruitmentRequest.objects.select_for_update(of=("self",))
        .select_related("household__user", "office")
        .get(pk=request.pk)
    )
    _require_household_party(actor, request)
    contract = live_contract(request)
    refusal = complaint_refusal(request, contract)
    if refusal:
        raise ValidationError(refusal)
    return _open_complaint(
        actor=actor,
        request=request,
        contract=contract,
        by_worker=False,
        category=category,
        description=description,
        attachments=attachments,
        now=now or timezone.now(),
    )


@transaction.atomic
def complaint_file_by_worker(
    *,
    token: str,
    category: str,
    description: str,
    attachments: Sequence[UploadedFile] = (),
    now: dt.datetime | None = None,
) -> Complaint:
    """The worker complains from the link she received with her contract; she needs no account.

    Her complaint is not shown to the employer: it goes to the office and, unresolved, to the ministry.
    """
    contract = contract_for_worker(token)
    if contract is None:
        raise PermissionDenied(_("This link is not valid."))
    request = (
        RecruitmentRequest.objects.select_for_update(of=("self",))
        .select_related("household__user", "office")
        .get(pk=contract.request_id)
    )
    current = live_contract(request)
    if current is None or current.pk != contract.pk:
        raise ValidationError(_("This contract is no longer in force, so a complaint cannot be filed here."))
    refusal = complaint_refusal(request, contract)
    if refusal:
        raise ValidationError(refusal)
    return _open_complaint(
        actor=None,
        request=request,
        contract=contract,
        by_worker=True,
        category=category,
        description=description,
        attachments=attachments,
        now=now or timezone.now(),
    )


# --- the office answers, the complainant accepts or escalates --------------------------------------


def _locked(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("request__household__user", "office")
        .get(pk=complaint.pk)
    )


@transaction.atomic
def complaint_answer(
    *, actor: Actor, complaint: Complaint, text: str, now: dt.datetime | None = None
) -> Complaint:
    """The office's staff answer within the deadline; the complainant then accepts or escalates."""
    complaint = _locked(complaint)
    _require_office_member(actor, complaint)
    now = now or timezone.now()
    text = (text or "").strip()
    if complaint.state != ComplaintState.OPEN:
        raise ValidationError(_("This complaint has already been answered or passed to the ministry."))
    if now > complaint.response_due_at:
        raise ValidationError(
            _("The time to answer this complaint has passed; it goes to the ministry's complaints team.")
        )
    if not text:
        raise ValidationError({"text": _("Write the office's answer.")})
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {"text": _("Keep the answer under %(count)d characters.") % {"count": DESCRIPTION_MAX_LENGTH}}
        )
    complaint.answer(text=text, at=now)
    complaint.save()
    audit_record(
        action="complaint.answered",
        actor=actor,
        target=complaint,
        from_state=ComplaintState.OPEN,
        to_state=complaint.state,
        changes={"answer": text},
    )
    _tell_complainant(
        complaint, event="complaint_answered", worker_event="worker_complaint_answered", **_context(complaint)
    )
    return complaint


def _resolve(complaint: Complaint, actor: Actor | None) -> Complaint:
    if complaint.state != ComplaintState.ANSWERED:
        raise ValidationError(_("Only a complaint the office has answered can be closed as resolved."))
    complaint.resolve()
    complaint.save()
    audit_record(
        action="complaint.resolved",
        actor=actor,
        target=complaint,
        from_state=ComplaintState.ANSWERED,
        to_state=complaint.state,
        changes={"by_worker": complaint.by_worker},
    )
    _notify(
        _office_people(complaint.office_id),
        "complaint_resolved",
        reverse("complaints:office_detail", args=[complaint.pk]),
        **_context(complaint),
    )
    return complaint


def _escalate(complaint: Complaint, actor: Actor | None, *, now: dt.datetime, overdue: bool) -> Complaint:
    from_state = complaint.state
    complaint.escalate(at=now)
    complaint.save()
    audit_record(
        action="complaint.escalated",
        actor=actor,
        target=complaint,
        from_state=from_state,
        to_state=complaint.state,
        changes={"reason": "unanswered_in_time" if overdue else "complainant_not_satisfied"},
    )
    context = {**_context(complaint), "overdue": overdue}
    _notify(
        _complaints_group(),
        "complaint_escalated",
        reverse("complaints:ministry_detail", args=[complaint.pk]),
        **context,
    )
    _notify(
        _office_people(complaint.office_id),
        "complaint_forwarded",
        reverse("complaints:office_detail", args=[complaint.pk]),
        **context,
        to_office=True,
    )
    _tell_complainant(
        complaint,
        event="complaint_forwarded",
        worker_event="worker_complaint_escalated",
        **context,
        to_office=False,
    )
    return complaint


def _check_escalation(complaint: Complaint, now: dt.datetime) -> None:
    """The complainant escalates an answer they do not accept, or a complaint the office let lapse."""
    if complaint.state == ComplaintState.ANSWERED:
        return
    if complaint.state == ComplaintState.OPEN and now > complaint.response_due_at:
        return
    if complaint.state == ComplaintState.OPEN:
        raise ValidationError(
            _(
                "The office has until its deadline to answer. If it does not, the complaint goes to the "
                "ministry."
            )
        )
    raise ValidationError(_("This complaint is already with the ministry or closed."))


@transaction.atomic
def complaint_resolve(*, actor: Actor, complaint: Complaint) -> Complaint:
    """The household accepts the office's answer: the complaint is closed."""
    complaint = _locked(complaint)
    _require_complainant(actor, complaint)
    return _resolve(complaint, actor)


@transaction.atomic
def complaint_escalate(*, actor: Actor, complaint: Complaint, now: dt.datetime | None = None) -> Complaint:
    """The household does not accept the answer (or got none in time): the ministry decides."""
    complaint = _locked(complaint)
    _require_complainant(actor, complaint)
    now = now or timezone.now()
    _check_escalation(complaint, now)
    return _escalate(complaint, actor, now=now, overdue=complaint.state == ComplaintState.OPEN)


def _worker_complaint(token: str, complaint_id: int) -> Complaint:
    contract = contract_for_worker(token)
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("request__household__user", "office")
        .filter(pk=complaint_id, by_worker=True, request_id=contract.request_id if contract else None)
        .first()
    )
    if contract is None or complaint is None:
        raise PermissionDenied(_("This link is not valid."))
    return complaint


@transaction.atomic
def complaint_worker_resolve(*, token: str, complaint_id: int) -> Complaint:
    """The worker accepts the office's answer to her complaint."""
    return _resolve(_worker_complaint(token, complaint_id), None)


@transaction.atomic
def complaint_worker_escalate(*, token: str, complaint_id: int, now: dt.datetime | None = None) -> Complaint:
    """The worker does not accept the office's answer (or got none in time): the ministry decides."""
    complaint = _worker_complaint(token, complaint_id)
    now = now or timezone.now()
    _check_escalation(complaint, now)
    return _escalate(complaint, None, now=now, overdue=complaint.state == ComplaintState.OPEN)


@transaction.atomic
def complaint_escalate_if_overdue(*, complaint_id: int, now: dt.datetime | None = None) -> bool:
    """Send one unanswered complaint past its deadline to the ministry; False if it no longer needs it."""
    now = now or timezone.now()
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("request__household__user", "office")
        .filter(pk=complaint_id, state=ComplaintState.OPEN, response_due_at__lt=now)
        .first()
    )
    if complaint is None:
        return False
    _escalate(complaint, None, now=now, overdue=True)
    return True


def complaint_escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Every complaint the office let pass its deadline goes to the ministry, one per transaction."""
    now = now or timezone.now()
    due = Complaint.objects.filter(state=ComplaintState.OPEN, response_due_at__lt=now).order_by(
        "response_due_at", "pk"
    )
    return sum(
        complaint_escalate_if_overdue(complaint_id=pk, now=now) for pk in due.values_list("pk", flat=True)
    )


# --- the ministry decides --------------------------------------------------------------------------


def _decision_errors(
    *,
    decision: str,
    note: str,
    refund_amount: Decimal | None,
    suspension_days: int | None,
    contract: Contract | None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if decision not in ComplaintDecision.values:
        errors["decision"] = _("Choose a decision.")
    if not note:
        errors["note"] = _("Explain the decision: the household and the office will read it.")
    if decision == ComplaintDecision.REFUND:
        bill = contract.bill if contract is not None else None
        if bill is None or bill.refundable_amount <= 0:
            errors["decision"] = _("Nothing was paid on this case that could be refunded.")
        elif refund_amount is None or refund_amount <= 0:
            errors["refund_amount"] = _("Enter the amount to refund.")
        elif refund_amount > bill.refundable_amount:
            errors["refund_amount"] = _(
                "At most %(amount)s SAR of this case's payment can still be refunded."
            ) % {"amount": format_amount(bill.refundable_amount)}
    if decision == ComplaintDecision.SUSPENSION and (suspension_days is None or suspension_days < 1):
        errors["suspension_days"] = _("Enter for how many days the office is suspended.")
    return errors


def _decision_refund(*, actor: Actor, complaint: Complaint, contract: Contract, amount: Decimal) -> None:
    from musaned.billing.services import refund_request

    bill = contract.bill
    with translation.override(_household_language(complaint.request)):
        formula = _(
            "%(amount)s SAR of the %(paid)s SAR paid (bill %(bill)s) is refunded by the ministry's decision "
            "on complaint %(number)s about case %(reference)s."
        ) % {
            "amount": format_amount(amount),
            "paid": format_amount(bill.paid_amount),
            "bill": bill.number,
            "number": complaint.pk,
            "reference": complaint.request.reference,
        }
        reason = _("Ministry decision on complaint %(number)s") % {"number": complaint.pk}
    refund_request(
        bill=bill,
        amount=amount,
        reason=reason,
        formula=formula,
        idempotency_key=f"complaint-{complaint.pk}",
        actor=actor,
    )
    TrustEntry.objects.create(
        request=complaint.request,
        kind=TrustEntryKind.REFUNDED,
        amount=amount,
        formula=formula[:300],
        rule_set=contract.rule_set,
        key=f"complaint-refund-{complaint.pk}",
    )


@transaction.atomic
def complaint_decide(
    *,
    actor: Actor,
    complaint: Complaint,
    decision: str,
    note: str,
    refund_amount: Decimal | None = None,
    suspension_days: int | None = None,
) -> Complaint:
    """The ministry's decision on an escalated complaint, applied at once.

    A refund goes back to the household through the case's bill and is entered in the case's ledger;
    a warning or a suspension is a sanction on the office (a suspended office takes no new requests).
    Of two officers deciding at once, the first decision stands and the second is told so.
    """
    if not may_decide(actor):
        raise PermissionDenied(_("Only the ministry's complaints team can decide complaints."))
    complaint = _locked(complaint)
    if complaint.state == ComplaintState.DECIDED:
        raise ValidationError(
            _("This complaint has just been decided by %(officer)s. Nothing was changed.")
            % {"officer": complaint.decided_by}
        )
    if complaint.state != ComplaintState.ESCALATED:
        raise ValidationError(_("Only a complaint passed to the ministry can be decided."))
    note = (note or "").strip()
    contract = live_contract(complaint.request)
    errors = _decision_errors(
        decision=decision,
        note=note,
        refund_amount=refund_amount,
        suspension_days=suspension_days,
        contract=contract,
    )
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    changes: dict[str, Any] = {"decision": decision, "note": note}
    if decision == ComplaintDecision.REFUND:
        _decision_refund(actor=actor, complaint=complaint, contract=contract, amount=refund_amount)
        changes["refund_amount"] = str(refund_amount)
    elif decision in (ComplaintDecision.WARNING, ComplaintDecision.SUSPENSION):
        from .services import sanction_apply

        until = None
        if decision == ComplaintDecision.SUSPENSION:
            until = timezone.localdate(now) + dt.timedelta(days=suspension_days)
            changes["suspended_until"] = until.isoformat()
        sanction = sanction_apply(
            actor=actor,
            office=complaint.office,
            kind=SanctionKind.WARNING if decision == ComplaintDecision.WARNING else SanctionKind.SUSPENSION,
            reason=note,
            complaint=complaint,
            until=until,
        )
        changes["sanction"] = sanction.pk
    complaint.decide(decision=decision, note=note, by=actor.user, at=now)
    complaint.save()
    audit_record(
        action="complaint.decided",
        actor=actor,
        target=complaint,
        from_state=ComplaintState.ESCALATED,
        to_state=complaint.state,
        changes=changes,
    )
    context = {**_context(complaint), "decision": ComplaintDecision(decision).label, "note": note}
    if decision == ComplaintDecision.REFUND:
        context["refund_amount"] = format_amount(refund_amount)
    if "suspended_until" in changes:
        context["suspended_until"] = changes["suspended_until"]
    _notify(
        _office_people(complaint.office_id),
        "complaint_decided",
        reverse("complaints:office_detail", args=[complaint.pk]),
        **context,
        to_office=True,
    )
    _tell_complainant(
        complaint,
        event="complaint_decided",
        worker_event="worker_complaint_decided",
        **context,
        to_office=False,
    )
    return complaint
