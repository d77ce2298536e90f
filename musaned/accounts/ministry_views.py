"""The ministry area: a home showing what the officer's groups allow, and the security alerts."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from . import selectors, services
from .forms import UnlockForm
from .roles import MINISTRY_ROLES, Role


def ministry_required(permission: str | None = None):
    """Only ministry officers get in (any ministry group); some pages also need one permission."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if request.actor.is_delegate or not user.is_ministry:
                raise PermissionDenied(_("This area is for ministry officers."))
            if permission and not user.has_perm(permission):
                raise PermissionDenied(_("Your role does not allow this page."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@ministry_required()
def home(request):
    user = request.user
    return render(
        request,
        "ministry/home.html",
        {
            "groups": [Role(name).label for name in sorted(user.role_names() & MINISTRY_ROLES)],
            "can_view_households": user.has_perm("households.view_any_household"),
            "can_view_alerts": user.has_perm("accounts.view_security_alerts"),
            "open_alerts": selectors.locked_accounts().count()
            if user.has_perm("accounts.view_security_alerts")
            else None,
        },
    )


@ministry_required("accounts.view_security_alerts")
def security_alerts(request):
    return render(
        request,
        "ministry/security_alerts.html",
        {
            "locked": selectors.locked_accounts(),
            "unlocks": selectors.recent_unlocks(),
            "can_unlock": request.user.has_perm("accounts.unlock_account"),
        },
    )


@ministry_required("accounts.unlock_account")
def unlock(request, pk: int):
    account = get_object_or_404(selectors.locked_accounts(), pk=pk)
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_unlock(
                actor=request.actor, user=account, identity_check=form.cleaned_data["identity_check"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(account)s is unlocked. The person has been sent an e-mail to choose a new password.")
                % {"account": account.email},
            )
            return redirect("ministry:security_alerts")
    report = selectors.account_activity(account).filter(action="account_reported_compromised").first()
    return render(request, "ministry/unlock.html", {"account": account, "form": form, "report": report})
