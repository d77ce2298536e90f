"""The office area: the office's facts and people; the manager adds and removes staff."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from . import selectors, services
from .forms import StaffAddForm


def office_member_required(*, manager: bool = False):
    """Only people who work for an office (or act for one under a delegation) get in, to their own office.

    Managing the office's people is the manager's own job and is never done under a delegation.
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
            request.membership = membership
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@office_member_required()
def office_home(request):
    office = request.membership.office
    return render(
        request,
        "recruitment/office_home.html",
        {"office": office, "membership": request.membership, "staff": selectors.office_staff(office)},
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
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(
                request, _("%(email)s no longer works for the office.") % {"email": membership.user.email}
            )
        return redirect("recruitment:office_home")
    return render(request, "recruitment/staff_remove.html", {"member": membership})
