"""The office area: the office's facts and people, its price list and its workers' CVs."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from musaned.accounts.models import DelegationScope

from . import selectors, services
from .forms import PriceForm, StaffAddForm, WorkerCVForm


def office_member_required(*, manager: bool = False, recruitment_work: bool = False):
    """Only people who work for an office (or act for one under a delegation) get in, to their own office.

    Managing the office's people is the manager's own job and is never done under a delegation; a
    delegate keeps the price list and CVs only under a recruitment delegation.
    """

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            account = request.actor.principal
            membership = selectors.membership_of(account)
            if membership is None or not account.is_office_staff:
                raise PermissionDenied(_("This area is for recruitment office staff."))
            if manager and (request.actor.is_delegate or not membership.is_manager):
                raise PermissionDenied(_("Only the office's manager can do this."))
            if recruitment_work:
                request.actor.require_scope(DelegationScope.RECRUITMENT)
            request.membership = membership
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _refusal(error: ValidationError | PermissionDenied) -> str:
    return " ".join(getattr(error, "messages", None) or [str(error)])


@office_member_required()
def office_home(request):
    office = request.membership.office
    accepts, reason = services.office_accepts_requests(office)
    return render(
        request,
        "recruitment/office_home.html",
        {
            "office": office,
            "membership": request.membership,
            "staff": selectors.office_staff(office),
            "accepts": accepts,
            "reason": reason,
            "price_count": office.prices.count(),
            "cv_count": office.cvs.filter(available=True).count(),
        },
    )


@office_member_required(manager=True)
def staff_add(request):
    form = StaffAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.office_staff_add(actor=request.actor, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect("recruitment:office_home")
        else:
            messages.success(
                request,
                _("%(email)s is added. We sent an invitation with a link to choose a password.")
                % {"email": membership.user.email},
            )
            return redirect("recruitment:office_home")
    return render(request, "recruitment/staff_add.html", {"form": form})


@office_member_required(manager=True)
def staff_remove(request, pk: int):
    membership = get_object_or_404(
        request.membership.office.memberships.select_related("user").exclude(pk=request.membership.pk), pk=pk
    )
    if request.method == "POST":
        try:
            services.office_staff_remove(actor=request.actor, membership=membership)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _refusal(error))
        else:
            messages.success(
                request, _("%(email)s no longer works for the office.") % {"email": membership.user.email}
            )
        return redirect("recruitment:office_home")
    return render(request, "recruitment/staff_remove.html", {"member": membership})


# --- Price list ------------------------------------------------------------------------------------


def _save_price(request, form: PriceForm):
    office = request.membership.office
    data = form.cleaned_data
    try:
        entry = services.price_set(
            actor=request.actor,
            office=office,
            nationality=data["nationality"],
            occupation=data["occupation"],
            price=data["price"],
            delivery_days=data["delivery_days"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(
        request,
        _("The price for %(nationality)s, %(occupation)s is saved.")
        % {"nationality": entry.nationality, "occupation": entry.occupation},
    )
    return redirect("recruitment:prices")


@office_member_required(recruitment_work=True)
def prices(request):
    """The price list, with a form to add a line (or replace the line for the same kind of worker)."""
    office = request.membership.office
    form = PriceForm(request.POST or None, instance=None)
    if request.method == "POST" and form.is_valid() and (response := _save_price(request, form)):
        return response
    return render(
        request,
        "recruitment/office/prices.html",
        {"office": office, "entries": selectors.office_prices(office), "form": form},
    )


@office_member_required(recruitment_work=True)
def price_edit(request, pk: int):
    entry = get_object_or_404(selectors.office_prices(request.membership.office), pk=pk)
    form = PriceForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid() and (response := _save_price(request, form)):
        return response
    return render(request, "recruitment/office/price_edit.html", {"entry": entry, "form": form})


@office_member_required(recruitment_work=True)
def price_remove(request, pk: int):
    entry = get_object_or_404(selectors.office_prices(request.membership.office), pk=pk)
    if request.method == "POST":
        services.price_remove(actor=request.actor, entry=entry)
        messages.success(
            request,
            _("%(nationality)s, %(occupation)s is no longer on your price list.")
            % {"nationality": entry.nationality, "occupation": entry.occupation},
        )
        return redirect("recruitment:prices")
    return render(request, "recruitment/office/price_remove.html", {"entry": entry})


# --- Worker CVs ------------------------------------------------------------------------------------

CVS_PER_PAGE = 25


@office_member_required(recruitment_work=True)
def cvs(request):
    withdrawn = request.GET.get("show") == "withdrawn"
    page = Paginator(
        selectors.office_cvs(request.membership.office, available=not withdrawn), CVS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(request, "recruitment/office/cvs.html", {"page": page, "withdrawn": withdrawn})


def _cv_form_result(request, form: WorkerCVForm, save):
    """Run the service with the form's data; on refusal the messages land on the form's fields."""
    data = {name: value for name, value in form.cleaned_data.items() if name != "photo"}
    try:
        cv = save(data=data, photo=form.cleaned_data.get("photo") or None)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    return cv


@office_member_required(recruitment_work=True)
def cv_add(request):
    form = WorkerCVForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        cv = _cv_form_result(
            request,
            form,
            lambda **kwargs: services.cv_publish(
                actor=request.actor, office=request.membership.office, **kwargs
            ),
        )
        if cv is not None:
            messages.success(request, _("The CV of %(name)s is published.") % {"name": cv.name})
            return redirect("recruitment:cvs")
    return render(request, "recruitment/office/cv_form.html", {"form": form, "cv": None})


@office_member_required(recruitment_work=True)
def cv_edit(request, pk: int):
    cv = get_object_or_404(selectors.office_cvs(request.membership.office), pk=pk)
    in_use = services.cv_in_use(cv)
    form = WorkerCVForm(request.POST or None, request.FILES or None, instance=cv)
    if request.method == "POST" and form.is_valid():
        saved = _cv_form_result(
            request, form, lambda **kwargs: services.cv_update(actor=request.actor, cv=cv, **kwargs)
        )
        if saved is not None:
            messages.success(request, _("The CV of %(name)s is updated.") % {"name": saved.name})
            return redirect("recruitment:cvs")
    return render(request, "recruitment/office/cv_form.html", {"form": form, "cv": cv, "in_use": in_use})


@office_member_required(recruitment_work=True)
def cv_withdraw(request, pk: int):
    cv = get_object_or_404(selectors.office_cvs(request.membership.office, available=True), pk=pk)
    if request.method == "POST":
        try:
            services.cv_withdraw(actor=request.actor, cv=cv)
        except ValidationError as error:
            messages.error(request, _refusal(error))
        else:
            messages.success(request, _("The CV of %(name)s is withdrawn.") % {"name": cv.name})
        return redirect("recruitment:cvs")
    return render(request, "recruitment/office/cv_withdraw.html", {"cv": cv})
