"""Every change to a recruitment request from the household's request to the worker's answer.

Each function checks who may do it, locks what it changes (the request's process first, then the
request row, always in that order), runs the transition, records it in the audit trail, tells the
people concerned once the transaction commits, and completes the process's open task so that the flow
(flows.py) opens the next one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hmac
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import phonenumbers
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.context import Context
from viewflow.workflow.status import PROCESS, STATUS

from musaned.accounts.actor import Actor
from musaned.accounts.models import DelegationScope, User
from musaned.accounts.services import audit_record
from musaned.notifications.services import notify
from musaned.policy.models import RuleSet
from musaned.policy.services import NoRulesInForce, rules_in_force
from visas.models import Visa, VisaState

from . import contracts
from .models import (
    OPEN_REQUEST_STATES,
    Contract,
    Offer,
    OfferState,
    Office,
    OfficeAssignment,
    PriceListEntry,
    RecruitmentProcess,
    RecruitmentRequest,
    RequestMode,
    RequestState,
    WorkerCV,
)
from .selectors import membership_of

ISSUED_VISA_STATES = (VisaState.ISSUED, VisaState.ACTIVATED)
NEW_VISA_STATES = (VisaState.AWAITING_PAYMENT, VisaState.UNDER_REVIEW)
REFUSED_VISA_STATES = (VisaState.REJECTED, VisaState.WITHDRAWN)
# States in which the household can still be turned down because its new visa was refused.
BEFORE_SELECTION = (RequestState.AWAITING_OFFERS, RequestState.OFFICE_LATE, RequestState.OFFERS_SENT)
CODE_ATTEMPTS = 10
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
TOKEN_SELECTOR = 8
REASON_MAX = 500


@dataclass(frozen=True)
class NamedWorker:
    """The worker a household already knows: the office must offer exactly her."""

    name: str
    passport_number: str
    passport_expiry: dt.date | None
    phone: str


# --- helpers --------------------------------------------------------------------------------------


def _flow():
    from .flows import RecruitmentFlow

    return RecruitmentFlow


def _process_of(request: RecruitmentRequest) -> RecruitmentProcess | None:
    return (
        RecruitmentProcess.objects.filter(
            artifact_content_type=ContentType.objects.get_for_model(RecruitmentRequest),
            artifact_object_id=request.pk,
        )
        .order_by("-pk")
        .first()
    )


@contextmanager
def _locked(request: RecruitmentRequest) -> Iterator[RecruitmentRequest]:
    """Lock the request's process, then the request, and give the request as stored now."""
    process = _process_of(request)
    rows = RecruitmentRequest.objects.select_for_update(of=("self",)).select_related(
        "visa", "office", "household__user"
    )
    if process is None:
        yield rows.get(pk=request.pk)
        return
    with _flow().lock(process.pk):
        yield rows.get(pk=request.pk)


def _open_task(request: RecruitmentRequest, node_name: str):
    process = _process_of(request)
    if process is None:
        return None
    return (
        process.task_set.filter(flow_task=getattr(_flow(), node_name))
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED, STATUS.ERROR])
        .order_by("-pk")
        .first()
    )


def _advance(callback) -> None:
    """Move the process on; a failure in a later node stays on that node (for a flow manager to revive)
    and does not undo the change that moved it."""
    with Context(propagate_exception=False):
        callback()


def _complete_handle(request: RecruitmentRequest, node_name: str) -> None:
    """The step this handle waited for happened: complete it, so the flow opens the next task."""
    task = _open_task(request, node_name)
    if task is not None and task.status == STATUS.NEW:
        node = getattr(_flow(), node_name)
        _advance(lambda: node.run(task))


def _finish_office_task(request: RecruitmentRequest, user: User) -> None:
    """The office answered: its task is done by the person who answered (taking it if nobody had)."""
    task = _open_task(request, "send_offers")
    if task is None:
        return
    activation = task.flow_task.activation_class(task)
    if activation.assign.can_proceed():
        activation.assign(user)
    if activation.start.can_proceed():
        activation.start(None)
    _advance(activation.execute)


def _withdraw_office_task(request: RecruitmentRequest) -> None:
    """The office's task ends unanswered (the household went elsewhere); its deadline timer ends too."""
    task = _open_task(request, "send_offers")
    if task is None:
        return
    activation = task.flow_task.activation_class(task)
    if activation.withdraw.can_proceed():
        activation.withdraw()
        _advance(activation.activate_next)


def _random_digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _digit in range(count))


def new_reference() -> str:
    """A request number: "RR-" and 12 random digits, so that one number tells nothing of another."""
    for _attempt in range(CODE_ATTEMPTS):
        code = "RR-" + _random_digits(12)
        if not RecruitmentRequest.objects.filter(reference=code).exists():
            return code
    raise RuntimeError(f"no unused request number after {CODE_ATTEMPTS} draws")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def passport_outlasts_contract(expiry: dt.date | None, rule_set: RuleSet, *, today: dt.date) -> bool:
    return expiry is not None and expiry > add_months(today, rule_set.contract_months)


def international_phone(value: str) -> str | None:
    """The number in E.164 form (+CC...), or None unless it is a valid number with its country code."""
    value = (value or "").strip()
    if not value.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _request_url(request: RecruitmentRequest) -> str:
    return reverse("requests:detail", args=[request.reference])


def _queue_url() -> str:
    return reverse("requests:work:queue")


def _notify_household(request: RecruitmentRequest, event: str, *, sms: bool = False, **context: Any) -> None:
    household = request.household
    recipient, url = household.user, _request_url(request)
    mobile = household.mobile if sms else None
    values = {"reference": request.reference, **context}
    transaction.on_commit(
        lambda: notify(recipient=recipient, event=event, context=values, url=url, sms_to=mobile), robust=True
    )


def _notify_office(office: Office, event: str, *, url: str = "", **context: Any) -> None:
    """Tell everyone who works for the office (in the inbox and by e-mail)."""
    staff = list(User.objects.filter(office_membership__office=office, is_active=True))
    values = {"office": office, **context}
    url = url or _queue_url()
    for person in staff:
        transaction.on_commit(
            lambda person=person: notify(
                recipient=person, event=event, context=values, url=url, channels=("in_app", "email")
            ),
            robust=True,
        )


def _require_household(actor: Actor, request: RecruitmentRequest | None = None) -> None:
    actor.require_scope(DelegationScope.RECRUITMENT)
    if not actor.principal.has_perm("households.manage_own_household"):
        raise PermissionDenied(_("Only a household can do this."))
    if request is not None and request.household.user_id != actor.principal.pk:
        raise PermissionDenied(_("This request belongs to another household."))


def _rules_today() -> RuleSet:
    try:
        return rules_in_force(on=timezone.localdate())
    except NoRulesInForce:
        raise ValidationError(_("Recruitment is closed today: no rules are in force.")) from None


def _answer_days(request: RecruitmentRequest) -> int:
    """Two days when the visa is already issued, seven for a new one (from the request's rule set)."""
    if request.visa.state in ISSUED_VISA_STATES:
        return request.rule_set.office_answer_days_with_visa
    return request.rule_set.office_answer_days_new_visa


def _current_assignment(request: RecruitmentRequest) -> OfficeAssignment | None:
    return request.assignments.select_for_update().order_by("-assigned_at", "-pk").first()


def _labels(request: RecruitmentRequest) -> dict[str, Any]:
    """What messages about the request say about its visa (translated in each recipient's language)."""
    visa = request.visa
    return {
        "occupation": visa.occupation,
        "nationality": visa.nationality,
        "mode": RequestMode(request.mode).label,
    }


# --- the request ----------------------------------------------------------------------------------


def _named_worker_errors(worker: NamedWorker | None, rule_set: RuleSet, today: dt.date) -> dict[str, str]:
    if worker is None:
        return {"named_worker_name": _("Give the name of the worker you know.")}
    errors = {}
    if not worker.name.strip():
        errors["named_worker_name"] = _("Give the worker's name as written in her passport.")
    if not re.fullmatch(r"[A-Z0-9]{6,20}", (worker.passport_number or "").strip().upper()):
        errors["named_worker_passport"] = _("Give the passport number: 6 to 20 letters and digits.")
    if not passport_outlasts_contract(worker.passport_expiry, rule_set, today=today):
        errors["named_worker_passport_expiry"] = _(
            "The passport must be valid for more than %(months)d months from today, "
            "the length of the contract."
        ) % {"months": rule_set.contract_months}
    if international_phone(worker.phone) is None:
        errors["named_worker_phone"] = _(
            "Give the worker's mobile number with its country code, for example +639171234567."
        )
    return errors


@transaction.atomic
def request_create(
    *, actor: Actor, visa: Visa, mode: str, named_worker: NamedWorker | None = None
) -> RecruitmentRequest:
    """The household starts recruiting on one of its visas, by specification or for a worker it knows.

    A visa backs one open request at a time: two requests sent at once end with one request and a
    clear message for the other (the database's constraint decides).
    """
    _require_household(actor)
    visa = Visa.objects.select_for_update(of=("self",)).select_related("household").get(pk=visa.pk)
    if visa.household.user_id != actor.principal.pk:
        raise PermissionDenied(_("This visa belongs to another household."))
    if mode not in RequestMode.values:
        raise ValidationError({"mode": _("Choose how you want to recruit.")})
    if visa.used_at is not None or visa.state not in (*ISSUED_VISA_STATES, *NEW_VISA_STATES):
        raise ValidationError(
            _("This visa cannot be used for a recruitment request: it is %(state)s.")
            % {"state": visa.get_state_display().lower()}
        )
    open_request = visa.recruitment_requests.filter(state__in=OPEN_REQUEST_STATES).first()
    if open_request is not None:
        raise ValidationError(
            _("This visa already has a request in progress (%(reference)s).")
            % {"reference": open_request.reference}
        )
    rule_set = _rules_today()
    today = timezone.localdate()
    named = {}
    if mode == RequestMode.NAMED:
        errors = _named_worker_errors(named_worker, rule_set, today)
        if errors:
            raise ValidationError(errors)
        named = {
            "named_worker_name": named_worker.name.strip(),
            "named_worker_passport": named_worker.passport_number.strip().upper(),
            "named_worker_passport_expiry": named_worker.passport_expiry,
            "named_worker_phone": international_phone(named_worker.phone),
        }
    try:
        with transaction.atomic():
            request = RecruitmentRequest.objects.create(
                reference=new_reference(),
                household=visa.household,
                visa=visa,
                mode=mode,
                rule_set=rule_set,
                created_by=actor.user,
                **named,
            )
    except IntegrityError:
        raise ValidationError(_("This visa already has a request in progress.")) from None
    audit_record(
        action="request.created",
        actor=actor,
        target=request,
        to_state=request.state,
        changes={
            "visa": visa.number or visa.reference,
            "mode": mode,
            "rule_set": rule_set.name,
            **_plain(named),
        },
    )
    _advance(lambda: _flow().start.run(request=request))
    return request


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in values.items()}


@transaction.atomic
def request_choose_office(*, actor: Actor, request: RecruitmentRequest, office: Office) -> RecruitmentRequest:
    """The household sends its request to an office, which must answer by a deadline.

    Allowed before any offer is chosen: first, when the office was late, or to take the request from
    an office that has not answered yet (its turn is then withdrawn, which does not count against it).
    """
    from .services import office_accepts_requests

    _require_household(actor, request)
    with _locked(request) as request:
        if request.state not in (RequestState.AWAITING_OFFERS, RequestState.OFFICE_LATE):
            raise ValidationError(_("The office can be changed only while you wait for offers."))
        if request.office_id == office.pk and request.state == RequestState.AWAITING_OFFERS:
            raise ValidationError(_("Your request is already with this office."))
        office = Office.objects.get(pk=office.pk)
        accepts, reason = office_accepts_requests(office, timezone.localdate())
        if not accepts:
            raise ValidationError(reason)
        visa = request.visa
        if not PriceListEntry.objects.filter(
            office=office, nationality=visa.nationality_id, occupation=visa.occupation_id
        ).exists():
            raise ValidationError(
                _("%(office)s does not recruit this occupation from this country. Choose another office.")
                % {"office": office.name}
            )
        now = timezone.now()
        previous = _current_assignment(request)
        if previous is not None and previous.outcome == OfficeAssignment.Outcome.WAITING:
            previous.outcome, previous.closed_at = OfficeAssignment.Outcome.WITHDRAWN, now
            previous.save(update_fields=["outcome", "closed_at"])
        from_state = request.state
        due = now + dt.timedelta(days=_answer_days(request))
        request.assign_office(office=office, answer_due_at=due)
        request.save()
        OfficeAssignment.objects.create(request=request, office=office, answer_due_at=due)
        audit_record(
            action="request.office_chosen",
            actor=actor,
            target=request,
            from_state=from_state,
            to_state=request.state,
            changes={
                "office": office.name_en,
                "answer_due_at": due.isoformat(),
                "withdrawn_from": previous.office.name_en
                if previous and previous.outcome == "withdrawn"
                else None,
            },
        )
        _notify_office(
            office, "request_office_assigned", reference=request.reference, answer_due=due, **_labels(request)
        )
        if from_state == RequestState.OFFICE_LATE or previous is None:
            _complete_handle(request, "choose_office")
        else:
            _withdraw_office_task(request)
    return request


@transaction.atomic
def request_mark_office_late(*, request: RecruitmentRequest, now: dt.datetime | None = None) -> bool:
    """The office let its answer deadline pass without an offer: the household chooses another office.

    Run when the deadline's timer fires; the lateness counts on the office's scorecard. False (and
    nothing changed) when the office answered, or the household moved on, in the meantime.
    """
    now = now or timezone.now()
    with _locked(request) as request:
        assignment = _current_assignment(request)
        if (
            request.state != RequestState.AWAITING_OFFERS
            or assignment is None
            or assignment.outcome != OfficeAssignment.Outcome.WAITING
            or assignment.office_id != request.office_id
            or now < assignment.answer_due_at
        ):
            return False
        assignment.outcome, assignment.closed_at = OfficeAssignment.Outcome.LATE, now
        assignment.save(update_fields=["outcome", "closed_at"])
        request.office_late()
        request.save()
        audit_record(
            action="request.office_late",
            actor=None,
            target=request,
            from_state=RequestState.AWAITING_OFFERS,
            to_state=request.state,
            changes={
                "office": assignment.office.name_en,
                "answer_due_at": assignment.answer_due_at.isoformat(),
            },
        )
        _notify_household(request, "request_office_late", sms=True, office=assignment.office)
        _notify_office(assignment.office, "request_office_missed", reference=request.reference)
        _withdraw_office_task(request)
    return True


# --- offers ---------------------------------------------------------------------------------------


def _office_of(actor: Actor, request: RecruitmentRequest) -> Office:
    """The actor works for the office the request is with, and may work its requests."""
    actor.require_scope(DelegationScope.RECRUITMENT)
    membership = membership_of(actor.principal)
    if (
        membership is None
        or not actor.principal.has_perm("recruitment.work_requests")
        or membership.office_id != request.office_id
    ):
        raise PermissionDenied(_("This request is not with your office."))
    return membership.office


def _offer_errors(request: RecruitmentRequest, cv: WorkerCV, rule_set: RuleSet, today: dt.date) -> list[str]:
    visa = request.visa
    errors = []
    if not cv.available:
        errors.append(_("%(name)s is not available any more.") % {"name": cv.name})
    if (cv.nationality_id, cv.occupation_id, cv.gender) != (
        visa.nationality_id,
        visa.occupation_id,
        visa.gender,
    ):
        errors.append(
            _("%(name)s does not match the visa: it is for a %(gender)s %(occupation)s from %(country)s.")
            % {
                "name": cv.name,
                "gender": visa.get_gender_display().lower(),
                "occupation": visa.occupation,
                "country": visa.nationality,
            }
        )
    if request.mode == RequestMode.NAMED and cv.passport_number.upper() != request.named_worker_passport:
        errors.append(_("This household asked for a worker it knows: offer exactly that worker."))
    if not passport_outlasts_contract(cv.passport_expiry, rule_set, today=today):
        errors.append(
            _(
                "%(name)s's passport must be valid for more than %(months)d months, "
                "the length of the contract."
            )
            % {"name": cv.name, "months": rule_set.contract_months}
        )
    country_rule = rule_set.rule_for_country(visa.nationality)
    if country_rule and country_rule.min_monthly_wage and cv.monthly_salary < country_rule.min_monthly_wage:
        errors.append(
            _("The salary is below the minimum of %(minimum)s SAR a month for workers from %(country)s.")
            % {"minimum": country_rule.min_monthly_wage, "country": visa.nationality}
        )
    return errors


@transaction.atomic
def offer_send(
    *, actor: Actor, request: RecruitmentRequest, cv: WorkerCV, price: Decimal | None = None
) -> Offer:
    """The office offers one of its workers to the household, at its listed price or less.

    The first offer answers the request (in time, or it is refused) and the household is told.
    """
    with _locked(request) as request:
        office = _office_of(actor, request)
        cv = WorkerCV.objects.select_for_update().get(pk=cv.pk)
        if cv.office_id != office.pk:
            raise PermissionDenied(_("This worker is not your office's."))
        now = timezone.now()
        if request.state not in (RequestState.AWAITING_OFFERS, RequestState.OFFERS_SENT):
            raise ValidationError(_("This request is not waiting for offers."))
        assignment = _current_assignment(request)
        if request.state == RequestState.AWAITING_OFFERS and (
            assignment is None
            or assignment.outcome != OfficeAssignment.Outcome.WAITING
            or now > assignment.answer_due_at
        ):
            raise ValidationError(_("The time to answer this request has passed."))
        rule_set = _rules_today()
        errors = _offer_errors(request, cv, rule_set, timezone.localdate())
        visa = request.visa
        entry = PriceListEntry.objects.filter(
            office=office, nationality=visa.nationality_id, occupation=visa.occupation_id
        ).first()
        if entry is None:
            errors.append(_("Add this nationality and occupation to your price list before offering."))
        else:
            price = entry.price if price is None else Decimal(price)
            country_rule = rule_set.rule_for_country(visa.nationality)
            if price <= 0:
                errors.append(_("The price must be above zero."))
            elif price > entry.price:
                errors.append(
                    _("The price cannot be above your listed price of %(price)s SAR.")
                    % {"price": entry.price}
                )
            elif country_rule and country_rule.price_ceiling and price > country_rule.price_ceiling:
                errors.append(
                    _("The price is above the ceiling of %(ceiling)s SAR for workers from %(country)s.")
                    % {"ceiling": country_rule.price_ceiling, "country": visa.nationality}
                )
        if request.offers.filter(cv=cv).exists():
            errors.append(_("%(name)s is already offered for this request.") % {"name": cv.name})
        if errors:
            raise ValidationError(errors)
        offer = Offer.objects.create(
            request=request, office=office, cv=cv, price=price, delivery_days=entry.delivery_days
        )
        from_state = request.state
        if from_state == RequestState.AWAITING_OFFERS:
            request.receive_offers()
            request.save()
            assignment.outcome, assignment.closed_at = OfficeAssignment.Outcome.ANSWERED, now
            assignment.save(update_fields=["outcome", "closed_at"])
            _notify_household(request, "request_offers_received", sms=True, office=office)
        audit_record(
            action="offer.sent",
            actor=actor,
            target=request,
            from_state=from_state,
            to_state=request.state,
            changes={
                "cv": cv.pk,
                "worker": cv.name,
                "price": str(price),
                "delivery_days": entry.delivery_days,
            },
        )
        if from_state == RequestState.AWAITING_OFFERS:
            _finish_office_task(request, actor.user)
    return offer


@transaction.atomic
def named_worker_cv(*, actor: Actor, request: RecruitmentRequest, details: dict[str, Any]) -> WorkerCV:
    """The CV of the worker a household named: the office's own CV with her passport, or a new one.

    `details` gives what the household could not (date of birth, religion, marital status, languages,
    experience, skills, salary); her name, passport and phone come from the request, and the CV is
    published under the same rules as any other.
    """
    from .services import cv_publish

    with _locked(request) as request:
        office = _office_of(actor, request)
        if request.mode != RequestMode.NAMED:
            raise ValidationError(_("This request is by specification: offer workers from your CVs."))
        existing = WorkerCV.objects.filter(
            office=office, passport_number=request.named_worker_passport
        ).first()
        if existing is not None:
            return existing
        visa = request.visa
        return cv_publish(
            actor=actor,
            office=office,
            data={
                **details,
                "name": request.named_worker_name,
                "nationality": visa.nationality,
                "occupation": visa.occupation,
                "gender": visa.gender,
                "passport_number": request.named_worker_passport,
                "passport_expiry": request.named_worker_passport_expiry,
                "phone": request.named_worker_phone,
            },
        )


@transaction.atomic
def offers_reject_all(*, actor: Actor, request: RecruitmentRequest) -> RecruitmentRequest:
    """The household turns every offer down: the same office answers again by a new deadline.

    While it waits, the household may also take the request to another office (request_choose_office).
    """
    _require_household(actor, request)
    with _locked(request) as request:
        if request.state != RequestState.OFFERS_SENT:
            raise ValidationError(_("There are no offers to turn down now."))
        now = timezone.now()
        rejected = request.offers.filter(state=OfferState.OPEN).update(state=OfferState.REJECTED)
        due = now + dt.timedelta(days=_answer_days(request))
        request.ask_new_offers(answer_due_at=due)
        request.save()
        OfficeAssignment.objects.create(request=request, office=request.office, answer_due_at=due)
        audit_record(
            action="offers.rejected_all",
            actor=actor,
            target=request,
            from_state=RequestState.OFFERS_SENT,
            to_state=request.state,
            changes={"rejected": rejected, "answer_due_at": due.isoformat()},
        )
        _notify_office(
            request.office,
            "request_new_offers_asked",
            reference=request.reference,
            answer_due=due,
            **_labels(request),
        )
        _complete_handle(request, "select_offer")
    return request


# --- selection and the contract -------------------------------------------------------------------


def _live_contract(request: RecruitmentRequest) -> Contract | None:
    return request.contracts.filter(worker_declined_at__isnull=True).order_by("-pk").first()


@transaction.atomic
def offer_select(*, actor: Actor, request: RecruitmentRequest, offer: Offer) -> Contract:
    """The household chooses a worker: the unified contract is made and sent to her to accept.

    The request row is locked: of two choices made at once (two clicks, two tabs), the first makes the
    contract and the second is told so; the same choice made twice returns the same contract.
    """
    _require_household(actor, request)
    with _locked(request) as request:
        offer = Offer.objects.select_for_update().filter(pk=offer.pk, request=request).first()
        if offer is None:
            raise ValidationError(_("This offer is not part of your request."))
        current = _live_contract(request)
        if request.state != RequestState.OFFERS_SENT:
            if current is not None and current.offer_id == offer.pk:
                return current
            if current is not None:
                raise ValidationError(
                    _("You already chose %(name)s; the contract is waiting for her answer.")
                    % {"name": current.cv.name}
                )
            raise ValidationError(_("Offers cannot be chosen at this step."))
        if offer.state != OfferState.OPEN:
            raise ValidationError(_("This offer is closed. Choose one of the open offers."))
        if request.visa.state not in ISSUED_VISA_STATES:
            raise ValidationError(_("You can choose a worker once your visa is issued."))
        cv = (
            WorkerCV.objects.select_for_update(of=("self",))
            .select_related("nationality", "occupation")
            .get(pk=offer.cv_id)
        )
        rule_set = _rules_today()
        errors = _offer_errors(request, cv, rule_set, timezone.localdate())
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        vat = contracts.vat_on(offer.price, rule_set.vat_rate)
        contract = Contract.objects.create(
            request=request,
            offer=offer,
            office=offer.office,
            cv=cv,
            rule_set=rule_set,
            price=offer.price,
            vat_amount=vat,
            total=offer.price + vat,
            contract_months=rule_set.contract_months,
            monthly_salary=cv.monthly_salary,
            worker_language=cv.language,
            worker_token=secrets.token_urlsafe(32),
            worker_decision_due_at=now + dt.timedelta(days=rule_set.worker_acceptance_days),
        )
        offer.state = OfferState.SELECTED
        offer.save(update_fields=["state"])
        request.offers.filter(state=OfferState.OPEN).update(state=OfferState.REJECTED)
        cv.available = False
        cv.save(update_fields=["available"])
        request.select_offer()
        request.save()
        audit_record(
            action="offer.selected",
            actor=actor,
            target=request,
            from_state=RequestState.OFFERS_SENT,
            to_state=request.state,
            changes={
                "offer": offer.pk,
                "worker": cv.name,
                "contract": contract.pk,
                "total": str(contract.total),
                "worker_decision_due_at": contract.worker_decision_due_at.isoformat(),
            },
        )
        _send_contract_to_worker(request, contract)
        _complete_handle(request, "select_offer")
    return contract


def _send_contract_to_worker(request: RecruitmentRequest, contract: Contract) -> None:
    """Print the contract, and text the worker her link (or ask the office to give it to her)."""
    from .requests_tasks import contract_render_document

    contract_id = contract.pk
    transaction.on_commit(lambda: contract_render_document.delay(contract_id), robust=True)
    phone = international_phone(
        request.named_worker_phone if request.mode == RequestMode.NAMED else contract.cv.phone
    )
    if phone is not None:
        contracts.worker_text_contract(contract=contract, phone=phone)
        sent_to = "sms"
    else:
        _notify_office(
            contract.office,
            "request_worker_link",
            url=contracts.worker_link(contract),
            reference=request.reference,
            worker=contract.cv.name,
            decision_due=contract.worker_decision_due_at,
        )
        sent_to = "office"
    audit_record(action="contract.sent_to_worker", actor=None, target=contract, changes={"by": sent_to})


def contract_for_token(token: str) -> Contract | None:
    """The contract a worker's link opens, or None: looked up by its first characters, then compared
    whole in constant time, so the time taken tells nothing about the rest of a guessed link."""
    token = token or ""
    if not TOKEN_PATTERN.match(token):
        return None
    for contract in Contract.objects.filter(worker_token__startswith=token[:TOKEN_SELECTOR]):
        if hmac.compare_digest(contract.worker_token.encode(), token.encode()):
            return contract
    return None


def _contract_of(token: str) -> Contract:
    contract = contract_for_token(token)
    if contract is None:
        raise Contract.DoesNotExist("No contract has this link.")
    return contract


def _check_answerable(contract: Contract, request: RecruitmentRequest, now: dt.datetime) -> None:
    if contract.worker_accepted_at is not None:
        raise ValidationError(_("You already accepted this contract."))
    if contract.worker_declined_at is not None or request.state != RequestState.AWAITING_WORKER:
        raise ValidationError(_("This contract is no longer open."))
    if now > contract.worker_decision_due_at:
        raise ValidationError(_("The time to answer this contract has passed."))


@transaction.atomic
def contract_worker_accept(*, token: str) -> Contract:
    """The worker accepts her contract through her link: the household is billed for it."""
    from .delivery import contract_bill_issue

    now = timezone.now()
    contract = _contract_of(token)
    with _locked(contract.request) as request:
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        _check_answerable(contract, request, now)
        contract.worker_accepted_at = now
        contract.save(update_fields=["worker_accepted_at"])
        request.worker_accepted()
        request.save()
        audit_record(
            action="contract.worker_accepted",
            actor=None,
            target=request,
            from_state=RequestState.AWAITING_WORKER,
            to_state=request.state,
            changes={"contract": contract.pk, "by": "worker"},
        )
        _notify_household(request, "request_worker_accepted", worker=contract.cv.name, total=contract.total)
        contract_bill_issue(contract=contract)
        _notify_office(
            contract.office,
            "request_worker_answered",
            reference=request.reference,
            worker=contract.cv.name,
            accepted=True,
        )
        _complete_handle(request, "worker_decision")
    return contract


def _decline(
    contract: Contract, request: RecruitmentRequest, *, reason: str, by: str, now: dt.datetime
) -> None:
    """The contract ends unaccepted: its offer is declined, the worker is free again, and the offers the
    choice had closed are open again, so the household chooses anew."""
    contract.worker_declined_at, contract.worker_decline_reason = now, reason
    contract.save(update_fields=["worker_declined_at", "worker_decline_reason"])
    Offer.objects.filter(pk=contract.offer_id).update(state=OfferState.DECLINED)
    WorkerCV.objects.filter(pk=contract.cv_id).update(available=True)
    round_started = (
        request.assignments.order_by("-assigned_at", "-pk").values_list("assigned_at", flat=True).first()
    )
    reopened = request.offers.filter(
        state=OfferState.REJECTED, office=contract.office, cv__available=True, created_at__gte=round_started
    ).update(state=OfferState.OPEN)
    request.worker_declined()
    request.save()
    audit_record(
        action="contract.worker_declined",
        actor=None,
        target=request,
        from_state=RequestState.AWAITING_WORKER,
        to_state=request.state,
        changes={"contract": contract.pk, "by": by, "reason": reason, "offers_reopened": reopened},
    )
    _notify_household(
        request, "request_worker_declined", sms=True, worker=contract.cv.name, reason=reason, by=by
    )
    _notify_office(
        contract.office,
        "request_worker_answered",
        reference=request.reference,
        worker=contract.cv.name,
        accepted=False,
    )


@transaction.atomic
def contract_worker_decline(*, token: str, reason: str = "") -> Contract:
    """The worker declines her contract (with a reason if she wants): the household chooses again."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Please write at most %(count)d characters.") % {"count": REASON_MAX}}
        )
    now = timezone.now()
    contract = _contract_of(token)
    with _locked(contract.request) as request:
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        _check_answerable(contract, request, now)
        _decline(contract, request, reason=reason, by="worker", now=now)
        _complete_handle(request, "worker_decision")
    return contract


@transaction.atomic
def contract_worker_timeout(*, contract: Contract, now: dt.datetime | None = None) -> bool:
    """The worker let her deadline pass: she is taken to decline. False if she answered meanwhile."""
    now = now or timezone.now()
    with _locked(contract.request) as request:
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        if (
            contract.worker_accepted_at is not None
            or contract.worker_declined_at is not None
            or request.state != RequestState.AWAITING_WORKER
            or now < contract.worker_decision_due_at
        ):
            return False
        _decline(contract, request, reason="", by="deadline", now=now)
    return True


# --- closing what the request no longer needs -----------------------------------------------------


@transaction.atomic
def request_close_for_refused_visa(*, request: RecruitmentRequest) -> bool:
    """The new visa the request waited for was refused (or never paid): the request is rejected."""
    with _locked(request) as request:
        if request.state not in BEFORE_SELECTION or request.visa.state not in REFUSED_VISA_STATES:
            return False
        from_state, now = request.state, timezone.now()
        request.assignments.filter(outcome=OfficeAssignment.Outcome.WAITING).update(
            outcome=OfficeAssignment.Outcome.WITHDRAWN, closed_at=now
        )
        request.offers.filter(state=OfferState.OPEN).update(state=OfferState.REJECTED)
        request.visa_rejected(at=now)
        request.save()
        audit_record(
            action="request.rejected",
            actor=None,
            target=request,
            from_state=from_state,
            to_state=request.state,
            changes={"visa_state": request.visa.state},
        )
        _notify_household(request, "request_rejected")
        _end_process(request)
    return True


def _end_process(request: RecruitmentRequest) -> None:
    process = _process_of(request)
    if process is not None and process.status not in (PROCESS.DONE, PROCESS.CANCELED):
        _flow().instance.cancel(process)


def requests_with_refused_visa() -> list[int]:
    return list(
        RecruitmentRequest.objects.filter(
            state__in=BEFORE_SELECTION, visa__state__in=REFUSED_VISA_STATES
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def request_end_stale_process(*, request: RecruitmentRequest) -> bool:
    """A request closed elsewhere (cancelled, say) keeps no open tasks in anyone's queue."""
    with _locked(request) as request:
        if request.state in (*BEFORE_SELECTION, RequestState.AWAITING_WORKER):
            return False
        process = _process_of(request)
        if process is None or process.status in (PROCESS.DONE, PROCESS.CANCELED):
            return False
        if not process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED]).exists():
            return False
        _flow().instance.cancel(process)
        audit_record(action="request.process_closed", actor=None, target=request, to_state=request.state)
    return True


def requests_with_stale_process() -> list[int]:
    live = (
        RecruitmentProcess.objects.filter(flow_class=_flow(), task__finished__isnull=True)
        .exclude(status__in=[PROCESS.DONE, PROCESS.CANCELED])
        .values_list("artifact_object_id", flat=True)
    )
    return list(
        RecruitmentRequest.objects.filter(pk__in=live)
        .exclude(state__in=[*BEFORE_SELECTION, RequestState.AWAITING_WORKER])
        .values_list("pk", flat=True)
    )
