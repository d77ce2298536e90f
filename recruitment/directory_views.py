"""The public directory of offices and their profiles, the households' CV search, and the ministry's
licensing screens."""

from functools import wraps

import filetype
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from musaned.accounts.models import DelegationScope

from . import selectors, services
from .forms import CVSearchForm, DirectoryFilterForm, OfficeRegisterForm, ReinstateForm, SuspendForm
from .models import Office, Sanction, SanctionKind, WorkerCV
from .offices_tasks import office_check_commercial_registration
from .scorecard import scorecard_for

DIRECTORY_PER_PAGE = 20
CVS_PER_PAGE = 12


def directory(request):
    """Licensed offices taking requests; anyone may look, no sign-in needed."""
    form = DirectoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.directory(
        nationality=filters.get("nationality"),
        occupation=filters.get("occupation"),
        city=filters.get("city") or "",
        sort=filters.get("sort") or "rating",
    )
    page = Paginator(rows, DIRECTORY_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "recruitment/directory/list.html",
        {
            "form": form,
            "page": page,
            "exact": bool(filters.get("nationality") and filters.get("occupation")),
            "query": query.urlencode(),
        },
    )


def profile(request, pk: int):
    office = get_object_or_404(Office, pk=pk, active=True)
    accepts, reason = services.office_accepts_requests(office)
    return render(
        request,
        "recruitment/directory/profile.html",
        {
            "office": office,
            "accepts": accepts,
            "reason": reason,
            "card": scorecard_for(office),
            "prices": selectors.office_prices(office),
        },
    )


# --- CVs for households ----------------------------------------------------------------------------


def household_required(view):
    """Households (and their delegates for recruitment) search CVs; nobody else."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.actor.principal.is_household:
            raise PermissionDenied(_("The CV search is for households recruiting a worker."))
        request.actor.require_scope(DelegationScope.RECRUITMENT)
        return view(request, *args, **kwargs)

    return wrapped


@household_required
def cv_search(request):
    form = CVSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    cvs = selectors.cv_search(**filters)
    page = Paginator(cvs, CVS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    today = timezone.localdate()
    return render(
        request,
        "recruitment/directory/cv_search.html",
        {
            "form": form,
            "page": page,
            "rows": [(cv, selectors.age_on(cv.date_of_birth, today)) for cv in page],
            "query": query.urlencode(),
        },
    )


def _viewable_cv(request, pk: int) -> tuple[WorkerCV, bool]:
    """The CV and whether the viewer may see its private details; 404 for anyone who may not see it.

    The office's own people see their CVs; a household sees a CV offered to it, or one the search shows.
    """
    cv = get_object_or_404(WorkerCV.objects.select_related("office", "nationality", "occupation"), pk=pk)
    actor = request.actor
    if actor is None:
        raise Http404
    account = actor.principal
    if selectors.works_for(account, cv.office_id):
        actor.require_scope(DelegationScope.RECRUITMENT)
        return cv, True
    if account.is_household and (
        not actor.is_delegate or actor.delegation.scope == DelegationScope.RECRUITMENT
    ):
        if selectors.cv_offered_to(cv, account):
            return cv, True
        if selectors.cv_in_search(cv):
            return cv, False
    raise Http404


@login_required
def cv_detail(request, pk: int):
    cv, private = _viewable_cv(request, pk)
    return render(
        request,
        "recruitment/directory/cv_detail.html",
        {"cv": cv, "private": private, "age": selectors.age_on(cv.date_of_birth, timezone.localdate())},
    )


@login_required
def cv_photo(request, pk: int):
    cv, _private = _viewable_cv(request, pk)
    if not cv.photo:
        raise Http404
    handle = cv.photo.open("rb")
    kind = filetype.guess(handle.read(261))
    handle.seek(0)
    response = FileResponse(handle, content_type=kind.mime if kind else "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- The ministry's licensing screens --------------------------------------------------------------


def licensing_required(view):
    """The licensing team and supervisors, in person (never under a delegation)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if (
            request.actor.is_delegate
            or not user.is_ministry
            or not user.has_perm("recruitment.license_offices")
        ):
            raise PermissionDenied(_("This page is for the ministry's office licensing team."))
        return view(request, *args, **kwargs)

    return wrapped


MINISTRY_PER_PAGE = 50


@licensing_required
def ministry_list(request):
    today = timezone.localdate()
    query = request.GET.get("q", "")
    page = Paginator(selectors.offices_for_licensing(query=query, on=today), MINISTRY_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [(office, services.office_accepts_requests(office, today)) for office in page]
    return render(
        request,
        "ministry/offices/list.html",
        {"page": page, "rows": rows, "q": query, "today": today},
    )


@licensing_required
def ministry_detail(request, pk: int):
    office = get_object_or_404(Office, pk=pk)
    today = timezone.localdate()
    accepts, reason = services.office_accepts_requests(office, today)
    card = scorecard_for(office, on=today)
    return render(
        request,
        "ministry/offices/detail.html",
        {
            "office": office,
            "accepts": accepts,
            "reason": reason,
            "card": card,
            "suspended": any(sanction.kind == SanctionKind.SUSPENSION for sanction in card.sanctions),
            "sanctions": Sanction.objects.filter(office=office)
            .select_related("decided_by", "lifted_by", "complaint")
            .order_by("-starts_on", "-id"),
            "staff": selectors.office_staff(office),
            "today": today,
        },
    )


@licensing_required
def register(request):
    form = OfficeRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        manager = {key: data.pop(key) for key in ("manager_email", "manager_first_name", "manager_last_name")}
        try:
            office = services.office_register(actor=request.actor, data=data, **manager)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "%(office)s is registered. We sent its manager an invitation and asked the commerce "
                    "registry about its commercial registration."
                )
                % {"office": office},
            )
            return redirect("offices:ministry_detail", pk=office.pk)
    return render(request, "ministry/offices/register.html", {"form": form})


@licensing_required
def suspend(request, pk: int):
    office = get_object_or_404(Office, pk=pk)
    form = SuspendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.office_suspend(
                actor=request.actor,
                office=office,
                reason=form.cleaned_data["reason"],
                until=form.cleaned_data["until"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("%(office)s is suspended: it takes no new requests.") % {"office": office}
            )
            return redirect("offices:ministry_detail", pk=office.pk)
    return render(request, "ministry/offices/suspend.html", {"office": office, "form": form})


@licensing_required
def reinstate(request, pk: int):
    office = get_object_or_404(Office, pk=pk)
    form = ReinstateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.office_reinstate(actor=request.actor, office=office, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(office)s is reinstated.") % {"office": office})
            return redirect("offices:ministry_detail", pk=office.pk)
    return render(request, "ministry/offices/reinstate.html", {"office": office, "form": form})


@require_POST
@licensing_required
def ministry_check(request, pk: int):
    """Ask the commerce registry again now, rather than at tonight's check."""
    office = get_object_or_404(Office, pk=pk)
    office_check_commercial_registration.delay(office_id=office.pk)
    messages.success(
        request, _("We asked the commerce registry. The answer shows here as soon as it arrives.")
    )
    return redirect("offices:ministry_detail", pk=office.pk)
