"""The household's own pages, and the ministry officers' view of a household file.

Views read with selectors and write through services; a household only ever reaches its own
records (anything else is "not found"), and a delegate needs the "profile" scope.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from musaned.accounts.models import DelegationScope
from musaned.policy.services import NoRulesInForce

from . import selectors, services
from .eligibility import household_eligibility
from .forms import (
    CodeForm,
    FinancesForm,
    FlagCloseForm,
    MemberForm,
    OfficerSearchForm,
    ProfileForm,
    ProofForm,
    RegistrationForm,
    WorkerEndForm,
    WorkerForm,
)
from .history import describe
from .models import EmployedWorker, EmploymentFlag, HouseholdMember, IncomeProof
from .services import PhoneCheck

HISTORY_PAGE_SIZE = 50
FLAGS_PAGE_SIZE = 50


def _require_household_account(actor) -> None:
    if not actor.principal.has_perm("households.manage_own_household"):
        raise PermissionDenied(_("These pages are for household accounts."))


def household_page(view=None, *, scope: str | None = DelegationScope.PROFILE):
    """Passes the acting account's household to the view; without one, the person registers first.

    A delegate gets in only with a delegation for `scope` (any delegate when it is None); every stage's
    household pages use this, each with its own scope."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            actor = request.actor
            _require_household_account(actor)
            if scope is not None:
                actor.require_scope(scope)
            household = selectors.household_of(actor.principal)
            if household is None:
                return redirect("households:register")
            return view(request, household, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


def officer_page(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.has_perm("households.view_any_household"):
            raise PermissionDenied(_("Only ministry officers may see household files."))
        return view(request, *args, **kwargs)

    return wrapper


def flags_officer_page(view):
    """Ministry officers whose role handles the absence and custody reports on employments."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.actor.is_delegate or not request.user.has_perm("households.handle_employment_flags"):
            raise PermissionDenied(_("Your role does not allow this page."))
        return view(request, *args, **kwargs)

    return wrapper


def _run(form, call) -> bool:
    """Run a service; its ValidationError is shown on the form (and nothing was saved)."""
    try:
        call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
        return False
    return True


# Dashboard, registration, mobile ------------------------------------------------------------------


@household_page(scope=None)
def dashboard(request, household):
    try:
        eligibility = household_eligibility(household=household)
    except NoRulesInForce:
        eligibility = None
    return render(
        request,
        "households/dashboard.html",
        {
            "household": household,
            "eligibility": eligibility,
            "member_count": household.members.count(),
            "worker_count": household.workers.filter(ended_on__isnull=True).count(),
            "proof_count": household.income_proofs.count(),
        },
    )


@login_required
def register(request):
    actor = request.actor
    _require_household_account(actor)
    actor.require_scope(DelegationScope.PROFILE)
    if selectors.household_of(actor.principal) is not None:
        return redirect("households:dashboard")
    form = RegistrationForm(request.POST or None)
    registered = (
        request.method == "POST"
        and form.is_valid()
        and _run(form, lambda: services.household_register(actor=actor, data=form.cleaned_data))
    )
    if registered:
        messages.success(
            request,
            _("Your household is registered. We sent a code to your mobile: enter it below to verify it."),
        )
        return redirect("households:verify_mobile")
    return render(request, "households/register.html", {"form": form})


@household_page
def verify_mobile(request, household):
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.phone_code_check(
            actor=request.actor, household=household, code=form.cleaned_data["code"]
        )
        if result in (PhoneCheck.VERIFIED, PhoneCheck.ALREADY):
            messages.success(request, result.label)
            return redirect("households:dashboard")
        form.add_error("code", result.label)
    return render(
        request,
        "households/verify_mobile.html",
        {
            "household": household,
            "form": form,
            "wait_minutes": services.phone_code_wait_minutes(household=household),
        },
    )


@require_POST
@household_page
def resend_code(request, household):
    try:
        services.phone_code_send(actor=request.actor, household=household)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("We sent a new code to %(mobile)s.") % {"mobile": household.mobile})
    return redirect("households:verify_mobile")


# Profile and finances -----------------------------------------------------------------------------


@household_page
def profile(request, household):
    old_mobile = household.mobile  # the form writes the typed values onto `household` while validating
    form = ProfileForm(request.POST or None, instance=household)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.household_update_profile(
                actor=request.actor, household=household, data=form.cleaned_data
            ),
        )
    ):
        messages.success(request, _("Your profile is saved."))
        if form.cleaned_data["mobile"] != old_mobile:
            messages.info(request, _("Your mobile number changed: enter the code we sent to verify it."))
            return redirect("households:verify_mobile")
        return redirect("households:dashboard")
    return render(request, "households/profile.html", {"household": household, "form": form})


@household_page
def income(request, household):
    form = FinancesForm(request.POST or None, instance=household)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.household_update_finances(
                actor=request.actor,
                household=household,
                monthly_income=form.cleaned_data["monthly_income"],
                bank_balance=form.cleaned_data["bank_balance"],
            ),
        )
    ):
        messages.success(request, _("Your income and bank balance are saved."))
        return redirect("households:income")
    return render(
        request,
        "households/income.html",
        {"household": household, "form": form, "proofs": selectors.proofs_of(household)},
    )


# Income proofs ------------------------------------------------------------------------------------


@household_page
def proof_upload(request, household):
    form = ProofForm(request.POST or None, request.FILES or None, household=household)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.proof_add(
                actor=request.actor,
                household=household,
                kind=form.cleaned_data["kind"],
                issued_on=form.cleaned_data["issued_on"],
                upload=form.cleaned_data["file"],
            ),
        )
    ):
        messages.success(request, _("Your document is uploaded."))
        return redirect("households:income")
    return render(request, "households/proof_upload.html", {"household": household, "form": form})


@login_required
def proof_download(request, pk: int):
    """The owner, or an officer allowed to download any proof; everyone else is told it does not exist."""
    if request.user.has_perm("households.download_any_proof") and not request.actor.is_delegate:
        proof = get_object_or_404(IncomeProof.objects.select_related("household"), pk=pk)
        services.proof_record_officer_download(actor=request.actor, proof=proof)
    else:
        actor = request.actor
        if not actor.principal.has_perm("households.manage_own_household"):
            raise Http404
        actor.require_scope(DelegationScope.PROFILE)
        proof = get_object_or_404(IncomeProof, pk=pk, household__user=actor.principal)
    response = FileResponse(
        proof.file.open("rb"),
        as_attachment=True,
        filename=services.download_name(proof),
        content_type=proof.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@household_page
def proof_delete(request, household, pk: int):
    proof = get_object_or_404(IncomeProof, pk=pk, household=household)
    if request.method == "POST":
        services.proof_remove(actor=request.actor, proof=proof)
        messages.success(request, _("The document is removed."))
        return redirect("households:income")
    return render(request, "households/confirm_delete.html", {"object": proof, "back": "households:income"})


# Members ------------------------------------------------------------------------------------------


@household_page
def members(request, household):
    return render(
        request,
        "households/members.html",
        {"household": household, "members": selectors.members_of(household)},
    )


@household_page
def member_add(request, household):
    form = MemberForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.member_add(actor=request.actor, household=household, data=form.cleaned_data),
        )
    ):
        messages.success(request, _("The household member is added."))
        return redirect("households:members")
    return render(request, "households/member_form.html", {"household": household, "form": form})


@household_page
def member_edit(request, household, pk: int):
    member = get_object_or_404(HouseholdMember, pk=pk, household=household)
    form = MemberForm(request.POST or None, instance=member)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form, lambda: services.member_update(actor=request.actor, member=member, data=form.cleaned_data)
        )
    ):
        messages.success(request, _("The household member is saved."))
        return redirect("households:members")
    return render(
        request, "households/member_form.html", {"household": household, "form": form, "member": member}
    )


@household_page
def member_delete(request, household, pk: int):
    member = get_object_or_404(HouseholdMember, pk=pk, household=household)
    if request.method == "POST":
        services.member_remove(actor=request.actor, member=member)
        messages.success(request, _("The household member is removed."))
        return redirect("households:members")
    return render(request, "households/confirm_delete.html", {"object": member, "back": "households:members"})


# Employed workers ---------------------------------------------------------------------------------


@household_page
def workers(request, household):
    return render(
        request,
        "households/workers.html",
        {"household": household, "workers": selectors.workers_of(household)},
    )


@household_page
def worker_add(request, household):
    form = WorkerForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.worker_add(actor=request.actor, household=household, data=form.cleaned_data),
        )
    ):
        messages.success(request, _("The worker is added."))
        return redirect("households:workers")
    return render(request, "households/worker_form.html", {"household": household, "form": form})


@household_page
def worker_edit(request, household, pk: int):
    worker = get_object_or_404(EmployedWorker, pk=pk, household=household)
    form = WorkerForm(request.POST or None, instance=worker)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form, lambda: services.worker_update(actor=request.actor, worker=worker, data=form.cleaned_data)
        )
    ):
        messages.success(request, _("The worker's details are saved."))
        return redirect("households:workers")
    return render(
        request, "households/worker_form.html", {"household": household, "form": form, "worker": worker}
    )


@household_page
def worker_end(request, household, pk: int):
    worker = get_object_or_404(EmployedWorker, pk=pk, household=household, ended_on__isnull=True)
    form = WorkerEndForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.worker_end(
                actor=request.actor, worker=worker, ended_on=form.cleaned_data["ended_on"]
            ),
        )
    ):
        messages.success(request, _("The worker's employment is marked as ended."))
        return redirect("households:workers")
    return render(
        request, "households/worker_end.html", {"household": household, "form": form, "worker": worker}
    )


# History ------------------------------------------------------------------------------------------


@household_page
def history(request, household):
    page = Paginator(selectors.household_history(household), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "households/history.html", {"household": household, "page": page, "entries": describe(page)}
    )


# Ministry officers --------------------------------------------------------------------------------


@officer_page
def officer_search(request):
    form = OfficerSearchForm(request.GET or None)
    found, searched = None, False
    if form.is_valid():
        searched = True
        found = selectors.household_by_national_id(form.cleaned_data["national_id"])
        if found is not None:
            return redirect("households:officer_detail", pk=found.pk)
    return render(request, "households/officer_search.html", {"form": form, "searched": searched})


@officer_page
def officer_detail(request, pk: int):
    household = selectors.household_file(pk)
    if household is None:
        raise Http404
    return render(
        request,
        "households/officer_detail.html",
        {
            "household": household,
            "members": selectors.members_of(household),
            "workers": selectors.workers_of(household),
            "proofs": selectors.proofs_of(household),
            "can_download": request.user.has_perm("households.download_any_proof"),
        },
    )


@flags_officer_page
def officer_flags(request):
    page = Paginator(selectors.open_flags(), FLAGS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "households/officer_flags.html",
        {
            "page": page,
            "form": FlagCloseForm(),
            "can_view_households": request.user.has_perm("households.view_any_household"),
        },
    )


@require_POST
@flags_officer_page
def officer_flag_close(request, pk: int):
    flag = get_object_or_404(EmploymentFlag.objects.select_related("worker"), pk=pk)
    form = FlagCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how the matter was settled (at most 500 characters)."))
    else:
        try:
            services.employment_flag_close(actor=request.actor, flag=flag, note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The report on %(worker)s is closed.") % {"worker": flag.worker.name})
    return redirect("households:officer_flags")
