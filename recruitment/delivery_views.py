"""The case page, from payment to the end of the guarantee, and the actions on it.

Three kinds of people see a case: its household (or a delegate for recruitment), the staff of the office
bringing the worker, and ministry officers who decide complaints. Anyone else gets "not found". Each
action checks its own actor again in its service.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from musaned.accounts.models import DelegationScope
from musaned.billing.models import BillState

from . import delivery
from .delivery_forms import ArrivalForm, MilestoneForm, RatingForm, ReasonForm, ReturnForm
from .delivery_selectors import case_money, case_timeline, next_step
from .models import Milestone, MilestoneKind, OfficeRating, RecruitmentRequest, RequestState

HOUSEHOLD, OFFICE, MINISTRY = "household", "office", "ministry"
DOCUMENT_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def _viewer(request, case: RecruitmentRequest) -> str | None:
    actor = request.actor
    if delivery.is_household_of(actor, case):
        actor.require_scope(DelegationScope.RECRUITMENT)
        return HOUSEHOLD
    if delivery.is_office_of(actor, case):
        actor.require_scope(DelegationScope.RECRUITMENT)
        return OFFICE
    if not actor.is_delegate and actor.user.has_perm("recruitment.decide_complaints"):
        return MINISTRY
    return None


def case_view(*roles: str):
    """Loads the case by its reference for the people who may see it; `roles` limits who may use the view."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, reference: str, *args, **kwargs):
            case = get_object_or_404(
                RecruitmentRequest.objects.select_related("household__user", "office", "visa"),
                reference=reference,
            )
            viewer = _viewer(request, case)
            if viewer is None:
                raise Http404
            if roles and viewer not in roles:
                raise PermissionDenied(_("This action is not yours to take on this case."))
            return view(request, case, viewer, *args, **kwargs)

        return wrapped

    return decorate


def _back(case: RecruitmentRequest):
    return redirect("delivery:case", reference=case.reference)


def _error_text(error: ValidationError | PermissionDenied) -> str:
    return " ".join(getattr(error, "messages", [str(error)]))


def _show_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _actions(case: RecruitmentRequest, contract, viewer: str) -> dict[str, bool]:
    """What this viewer may do now; the services check again."""
    state = case.state
    in_process = state == RequestState.IN_PROCESS
    office, household = viewer == OFFICE, viewer == HOUSEHOLD
    bill = contract.bill if contract else None
    return {
        "pay": household
        and state == RequestState.AWAITING_PAYMENT
        and bill is not None
        and bill.state == BillState.OPEN,
        "rebill": household
        and state == RequestState.AWAITING_PAYMENT
        and contract is not None
        and (bill is None or bill.state not in (BillState.OPEN, BillState.PAID)),
        "report": office and in_process,
        "extend": office
        and in_process
        and contract.extended_due_on is None
        and timezone.localdate() <= contract.delivery_due_on,
        "arrival": office and in_process and case.milestones.filter(kind=MilestoneKind.DEPARTED).exists(),
        "office_cancel": office and in_process,
        "handover": household and state == RequestState.ARRIVED,
        "return": household and state == RequestState.IN_GUARANTEE,
        "cancel": household and state in delivery.CANCELLABLE_STATES,
        "rate": household
        and state in delivery.RATEABLE_STATES
        and not OfficeRating.objects.filter(request=case).exists(),
    }


@case_view()
def case(request, case, viewer):
    contract = delivery.live_contract(case)
    steps = case_timeline(request=case)
    actions = _actions(case, contract, viewer)
    pay_url = ""
    if actions["pay"]:
        pay_url = (
            reverse("billing:pay", args=[contract.bill.number]) + "?" + urlencode({"next": request.path})
        )
    return render(
        request,
        "recruitment/delivery/case.html",
        {
            "case": case,
            "contract": contract,
            "viewer": viewer,
            "steps": steps,
            "next": next_step(steps),
            "money": case_money(request=case, contract=contract),
            "milestones": case.milestones.select_related("reported_by"),
            "actions": actions,
            "pay_url": pay_url,
            "arrival_form": ArrivalForm(),
            "rating_form": RatingForm(),
            "rating": OfficeRating.objects.filter(request=case).first(),
        },
    )


@case_view(HOUSEHOLD)
@require_POST
def rebill(request, case, viewer):
    contract = delivery.live_contract(case)
    if contract is None:
        raise Http404
    try:
        bill = delivery.contract_bill_issue(contract=contract, actor=request.actor)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
        return _back(case)
    return redirect(
        reverse("billing:pay", args=[bill.number]) + "?" + urlencode({"next": delivery.case_url(case)})
    )


@case_view(OFFICE)
def milestone_report(request, case, viewer):
    reported = list(case.milestones.values_list("kind", flat=True))
    form = MilestoneForm(
        request.POST or None, request.FILES or None, initial={"kind": delivery.next_milestone(reported)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            delivery.milestone_report(actor=request.actor, request=case, **form.cleaned_data)
        except ValidationError as error:
            _show_errors(form, error)
        except PermissionDenied as error:
            messages.error(request, _error_text(error))
            return _back(case)
        else:
            messages.success(request, _("The step is recorded. The household can see it now."))
            return _back(case)
    return render(request, "recruitment/delivery/milestone_form.html", {"case": case, "form": form})


@case_view(HOUSEHOLD, OFFICE, MINISTRY)
def milestone_document(request, case, viewer, pk: int):
    milestone = get_object_or_404(Milestone, pk=pk, request=case)
    if not milestone.document:
        raise Http404
    extension = DOCUMENT_EXTENSIONS.get(milestone.document_type, "bin")
    return FileResponse(
        milestone.document.open("rb"),
        as_attachment=True,
        filename=f"{case.reference}-{milestone.kind}.{extension}",
        content_type=milestone.document_type or "application/octet-stream",
    )


def _simple_action(request, case, run, success: str):
    """Run a one-button action and go back to the case with its outcome."""
    try:
        run()
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, success)
    return _back(case)


@case_view(OFFICE)
@require_POST
def extend(request, case, viewer):
    return _simple_action(
        request,
        case,
        lambda: delivery.delivery_extend(actor=request.actor, request=case),
        _("The delivery is extended. The household has been told the new date."),
    )


@case_view(OFFICE)
@require_POST
def arrival(request, case, viewer):
    form = ArrivalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the arrival date and time."))
        return _back(case)
    return _simple_action(
        request,
        case,
        lambda: delivery.arrival_confirm_by_office(actor=request.actor, request=case, at=form.arrived_at()),
        _("The arrival is recorded. Hand the worker over to the household in time."),
    )


@case_view(HOUSEHOLD)
@require_POST
def handover(request, case, viewer):
    return _simple_action(
        request,
        case,
        lambda: delivery.handover_confirm(actor=request.actor, request=case),
        _("Thank you. The worker is now among your employed workers, and the guarantee period has started."),
    )


@case_view(HOUSEHOLD)
@require_POST
def rate(request, case, viewer):
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose from 1 to 5 stars."))
        return _back(case)
    return _simple_action(
        request,
        case,
        lambda: delivery.office_rate(actor=request.actor, request=case, **form.cleaned_data),
        _("Thank you for rating the office."),
    )


@case_view(HOUSEHOLD)
def return_worker(request, case, viewer):
    """Two steps: the date and reason give the refund and its formula; then the household confirms."""
    contract = delivery.live_contract(case)
    if case.state != RequestState.IN_GUARANTEE:
        messages.error(request, _("A worker can be returned only during the guarantee period."))
        return _back(case)
    form = ReturnForm(request.POST or None)
    quote = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        errors = delivery.return_errors(contract=contract, exit_on=data["exit_on"], reason=data["reason"])
        if errors:
            _show_errors(form, ValidationError(errors))
        elif "confirm" not in request.POST:
            quote = delivery.return_quote(request=case, exit_on=data["exit_on"])
        else:
            try:
                outcome = delivery.guarantee_return(actor=request.actor, request=case, **data)
            except ValidationError as error:
                _show_errors(form, error)
            except PermissionDenied as error:
                messages.error(request, _error_text(error))
                return _back(case)
            else:
                messages.success(request, _("The return is recorded. The refund is on its way."))
                if outcome.replacement_reference:
                    messages.success(request, _("A replacement visa has been opened for you."))
                else:
                    messages.warning(
                        request,
                        _("No replacement visa could be given: %(reason)s")
                        % {"reason": outcome.replacement_refused},
                    )
                return _back(case)
    return render(
        request,
        "recruitment/delivery/return_form.html",
        {"case": case, "contract": contract, "form": form, "quote": quote},
    )


def _cancel(request, case, *, quote, run, template_role: str):
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run(form.cleaned_data["reason"])
        except ValidationError as error:
            _show_errors(form, error)
        except PermissionDenied as error:
            messages.error(request, _error_text(error))
            return _back(case)
        else:
            messages.success(request, _("The request is cancelled."))
            return _back(case)
    return render(
        request,
        "recruitment/delivery/cancel_confirm.html",
        {"case": case, "form": form, "quote": quote, "by": template_role},
    )


@case_view(HOUSEHOLD)
def cancel(request, case, viewer):
    if case.state not in delivery.CANCELLABLE_STATES:
        messages.error(request, _("This request can no longer be cancelled."))
        return _back(case)
    return _cancel(
        request,
        case,
        quote=delivery.household_cancellation_quote(request=case),
        run=lambda reason: delivery.request_cancel_by_household(
            actor=request.actor, request=case, reason=reason
        ),
        template_role=HOUSEHOLD,
    )


@case_view(OFFICE)
def office_cancel(request, case, viewer):
    if case.state != RequestState.IN_PROCESS:
        messages.error(request, _("The office can cancel only a paid contract whose worker has not arrived."))
        return _back(case)
    return _cancel(
        request,
        case,
        quote=delivery.office_cancellation_quote(request=case),
        run=lambda reason: delivery.request_cancel_by_office(
            actor=request.actor, request=case, reason=reason
        ),
        template_role=OFFICE,
    )
