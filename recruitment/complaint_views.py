"""Complaint pages for each party: the household, the office complained about, the ministry's complaints
team, and the worker through her contract link.

Each person reaches only the complaints that concern them; anything else is "not found". Views read
with complaint_selectors and write through the services in complaints.py.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from households import views as household_views
from musaned.accounts.models import DelegationScope

from . import complaint_selectors as selectors
from . import complaints as services
from .complaint_forms import AnswerForm, ComplaintForm, DecisionForm
from .models import Complaint, ComplaintAttachment, ComplaintState, RecruitmentRequest
from .selectors import membership_of

PAGE_SIZE = 30


def _run(form, call) -> bool:
    """Run a service; its ValidationError is shown on the form (and nothing was saved)."""
    try:
        call()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return False
    return True


# --- who gets in -----------------------------------------------------------------------------------


household_page = household_views.household_page(scope=DelegationScope.COMPLAINTS)


def office_page(view):
    """Staff of an office (or its delegate for complaints), for the complaints against their own office."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        actor = request.actor
        membership = membership_of(actor.principal)
        if membership is None or not services.office_member_of(actor, membership.office_id):
            raise PermissionDenied(_("This area is for recruitment office staff."))
        actor.require_scope(DelegationScope.COMPLAINTS)
        return view(request, membership.office, *args, **kwargs)

    return wrapped


def ministry_page(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not services.may_decide(request.actor):
            raise PermissionDenied(_("This page is for the ministry's complaints team."))
        return view(request, *args, **kwargs)

    return wrapped


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _timeline(complaint: Complaint) -> list[dict]:
    """The complaint's steps so far and the one that comes next, with who acts and by when."""
    steps = [{"label": _("Complaint filed"), "at": complaint.created_at, "done": True}]
    if complaint.answered_at:
        steps.append({"label": _("The office answered"), "at": complaint.answered_at, "done": True})
    elif complaint.state == ComplaintState.OPEN:
        steps.append(
            {
                "label": _("The office answers"),
                "deadline": complaint.response_due_at,
                "who": _("The recruitment office"),
                "done": False,
            }
        )
    if complaint.state == ComplaintState.ANSWERED:
        steps.append(
            {
                "label": _("Accept the answer, or pass the complaint to the ministry"),
                "who": _("The worker") if complaint.by_worker else _("The household"),
                "done": False,
            }
        )
    if complaint.state == ComplaintState.RESOLVED:
        steps.append({"label": _("The answer was accepted: resolved"), "done": True})
    if complaint.escalated_at:
        label = (
            _("Passed to the ministry: the office did not answer in time")
            if complaint.answered_at is None
            else _("Passed to the ministry")
        )
        steps.append({"label": label, "at": complaint.escalated_at, "done": True})
    if complaint.state == ComplaintState.ESCALATED:
        steps.append(
            {"label": _("The ministry decides"), "who": _("The ministry's complaints team"), "done": False}
        )
    if complaint.decided_at:
        steps.append({"label": _("The ministry decided"), "at": complaint.decided_at, "done": True})
    return steps


def _decision_label(complaint: Complaint) -> str:
    if not complaint.decision:
        return ""
    try:
        return services.ComplaintDecision(complaint.decision).label
    except ValueError:
        return complaint.decision


def _complaint_context(complaint: Complaint) -> dict:
    sanction = complaint.sanctions.order_by("-id").first() if complaint.decision else None
    return {
        "complaint": complaint,
        "attachments": list(complaint.attachments.order_by("id")),
        "timeline": _timeline(complaint),
        "decision_label": _decision_label(complaint),
        "sanction": sanction,
        "refund": complaint.request.trust_entries.filter(key=f"complaint-refund-{complaint.pk}").first(),
        "overdue": complaint.state == ComplaintState.OPEN and timezone.now() > complaint.response_due_at,
    }


# --- the household ---------------------------------------------------------------------------------


@household_page
def mine(request, household):
    return render(
        request,
        "recruitment/complaints/mine.html",
        {
            "page": _page(request, selectors.household_complaints(household)),
            "cases": list(selectors.household_cases_open_to_complaint(household)[:20]),
        },
    )


@household_page
def file_complaint(request, household, reference: str):
    case = get_object_or_404(
        RecruitmentRequest.objects.select_related("office", "household__user"),
        reference=reference,
        household=household,
    )
    refusal = services.complaint_refusal(case, services.live_contract(case))
    form = ComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        created = []
        if _run(
            form,
            lambda: created.append(
                services.complaint_file(
                    actor=request.actor,
                    request=case,
                    category=form.cleaned_data["category"],
                    description=form.cleaned_data["description"],
                    attachments=form.cleaned_data["attachments"],
                )
            ),
        ):
            messages.success(
                request, _("Your complaint is sent to the office. It must answer by the date shown.")
            )
            return redirect("complaints:detail", pk=created[0].pk)
    return render(
        request, "recruitment/complaints/file.html", {"case": case, "form": form, "refusal": refusal}
    )


def _household_complaint(household, pk: int) -> Complaint:
    return get_object_or_404(
        Complaint.objects.select_related("request__household__user", "office", "decided_by"),
        pk=pk,
        request__household=household,
        by_worker=False,
    )


@household_page
def detail(request, household, pk: int):
    complaint = _household_complaint(household, pk)
    context = _complaint_context(complaint)
    context["can_escalate"] = complaint.state == ComplaintState.ANSWERED or context["overdue"]
    return render(request, "recruitment/complaints/detail.html", context)


@require_POST
@household_page
def resolve(request, household, pk: int):
    complaint = _household_complaint(household, pk)
    try:
        services.complaint_resolve(actor=request.actor, complaint=complaint)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Thank you. The complaint is closed as resolved."))
    return redirect("complaints:detail", pk=complaint.pk)


@require_POST
@household_page
def escalate(request, household, pk: int):
    complaint = _household_complaint(household, pk)
    try:
        services.complaint_escalate(actor=request.actor, complaint=complaint)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The complaint is passed to the ministry's complaints team."))
    return redirect("complaints:detail", pk=complaint.pk)


# --- attachments -----------------------------------------------------------------------------------


def _may_open(actor, complaint: Complaint) -> bool:
    if services.may_decide(actor):
        return True
    scoped = actor.delegation is None or actor.delegation.scope == DelegationScope.COMPLAINTS
    if services.office_member_of(actor, complaint.office_id):
        return scoped
    return (
        not complaint.by_worker
        and complaint.request.household.user_id == actor.principal.pk
        and actor.principal.has_perm("households.manage_own_household")
        and scoped
    )


@login_required
def attachment(request, pk: int):
    """The parties to the complaint and the ministry's complaints team; to anyone else it does not exist."""
    item = get_object_or_404(
        ComplaintAttachment.objects.select_related("complaint__request__household"), pk=pk
    )
    if not _may_open(request.actor, item.complaint):
        raise Http404
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=services.download_name(item),
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the office ------------------------------------------------------------------------------------


@office_page
def office_list(request, office):
    show_all = request.GET.get("show") == "all"
    return render(
        request,
        "recruitment/complaints/office_list.html",
        {
            "office": office,
            "show_all": show_all,
            "page": _page(request, selectors.office_complaints(office, open_only=not show_all)),
            "now": timezone.now(),
        },
    )


@office_page
def office_detail(request, office, pk: int):
    complaint = get_object_or_404(
        Complaint.objects.select_related("request__household", "office", "decided_by"), pk=pk, office=office
    )
    form = AnswerForm(request.POST or None)
    overdue = complaint.state == ComplaintState.OPEN and timezone.now() > complaint.response_due_at
    if request.method == "POST" and (complaint.state != ComplaintState.OPEN or overdue):
        messages.error(
            request,
            _("The time to answer this complaint has passed; it goes to the ministry's complaints team.")
            if overdue
            else _("This complaint has already been answered or passed to the ministry."),
        )
        return redirect("complaints:office_detail", pk=complaint.pk)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.complaint_answer(
                actor=request.actor, complaint=complaint, text=form.cleaned_data["text"]
            ),
        )
    ):
        messages.success(request, _("Your answer is sent to the complainant."))
        return redirect("complaints:office_detail", pk=complaint.pk)
    context = _complaint_context(complaint)
    context.update(
        {"form": form, "can_answer": complaint.state == ComplaintState.OPEN and not context["overdue"]}
    )
    return render(request, "recruitment/complaints/office_detail.html", context)


# --- the ministry ----------------------------------------------------------------------------------


@ministry_page
def ministry_queue(request):
    decided = request.GET.get("show") == "decided"
    page = _page(request, selectors.ministry_decided() if decided else selectors.ministry_queue())
    page.object_list = list(page.object_list)
    for complaint in page.object_list:
        complaint.decision_label = _decision_label(complaint)
    return render(request, "recruitment/complaints/ministry_queue.html", {"decided": decided, "page": page})


@ministry_page
def ministry_detail(request, pk: int):
    complaint = get_object_or_404(
        Complaint.objects.select_related("request__household__user", "request__visa", "office", "decided_by"),
        pk=pk,
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if complaint.state != ComplaintState.ESCALATED:
            messages.error(
                request,
                _("This complaint has just been decided by %(officer)s. Nothing was changed.")
                % {"officer": complaint.decided_by}
                if complaint.state == ComplaintState.DECIDED
                else _("Only a complaint passed to the ministry can be decided."),
            )
            return redirect("complaints:ministry_detail", pk=complaint.pk)
        if form.is_valid() and _run(
            form,
            lambda: services.complaint_decide(
                actor=request.actor,
                complaint=complaint,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                refund_amount=form.cleaned_data.get("refund_amount"),
                suspension_days=form.cleaned_data.get("suspension_days"),
            ),
        ):
            messages.success(request, _("The decision is recorded and applied."))
            return redirect("complaints:ministry_detail", pk=complaint.pk)
    case = complaint.request
    contract = services.live_contract(case)
    context = _complaint_context(complaint)
    context.update(
        {
            "form": form,
            "case": case,
            "contract": contract,
            "ledger": list(selectors.case_ledger(case)),
            "milestones": list(selectors.case_milestones(case)),
            "record": selectors.office_record(complaint.office),
            "can_decide": complaint.state == ComplaintState.ESCALATED,
        }
    )
    return render(request, "recruitment/complaints/ministry_detail.html", context)


# --- the worker ------------------------------------------------------------------------------------


def _worker_contract(token: str):
    contract = services.contract_for_worker(token)
    if contract is None:
        raise Http404
    return contract


def worker(request, token: str):
    """The worker's complaints on her contract, and a form to file one; no account needed."""
    contract = _worker_contract(token)
    with translation.override(services.worker_page_language(contract)):
        current = services.live_contract(contract.request)
        refusal = (
            services.complaint_refusal(contract.request, contract)
            if current is not None and current.pk == contract.pk
            else _("This contract is no longer in force, so a complaint cannot be filed here.")
        )
        form = ComplaintForm(request.POST or None, request.FILES or None)
        if (
            request.method == "POST"
            and not refusal
            and form.is_valid()
            and _run(
                form,
                lambda: services.complaint_file_by_worker(
                    token=token,
                    category=form.cleaned_data["category"],
                    description=form.cleaned_data["description"],
                    attachments=form.cleaned_data["attachments"],
                ),
            )
        ):
            messages.success(request, _("Your complaint is sent. You will get an SMS when it is answered."))
            return redirect("complaints:worker", token=token)
        complaints = [
            {**_complaint_context(complaint), "can_escalate": _worker_may_escalate(complaint)}
            for complaint in selectors.worker_complaints(contract)
        ]
        return render(
            request,
            "recruitment/complaints/worker.html",
            {
                "contract": contract,
                "token": token,
                "form": form,
                "refusal": refusal,
                "complaints": complaints,
            },
        )


def _worker_may_escalate(complaint: Complaint) -> bool:
    return complaint.state == ComplaintState.ANSWERED or (
        complaint.state == ComplaintState.OPEN and timezone.now() > complaint.response_due_at
    )


def _worker_act(request, token: str, pk: int, call, done: str):
    contract = _worker_contract(token)
    if not selectors.worker_complaints(contract).filter(pk=pk).exists():
        raise Http404
    with translation.override(services.worker_page_language(contract)):
        try:
            call()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, str(done))
    return redirect("complaints:worker", token=token)


@require_POST
def worker_resolve(request, token: str, pk: int):
    return _worker_act(
        request,
        token,
        pk,
        lambda: services.complaint_worker_resolve(token=token, complaint_id=pk),
        gettext_lazy("Thank you. The complaint is closed as resolved."),
    )


@require_POST
def worker_escalate(request, token: str, pk: int):
    return _worker_act(
        request,
        token,
        pk,
        lambda: services.complaint_worker_escalate(token=token, complaint_id=pk),
        gettext_lazy("The complaint is passed to the ministry's complaints team."),
    )
