"""The account pages: the security overview, activity, delegations and the compromised-account report."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import selectors, services
from .forms import CompromisedReportForm, DelegationGrantForm
from .middleware import ActingForMiddleware

ACTIVITY_PAGE_SIZE = 25


def home(request):
    """Send each person to their own area (or the area of the account they act for)."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "home.html")
    account = request.actor.principal if request.actor else user
    if account.is_household:
        return redirect("households:dashboard")
    if account.is_office_staff:
        return redirect("recruitment:office_home")
    if account.is_ministry:
        return redirect("ministry:home")
    if user.is_superuser:
        return redirect("admin:index")
    return redirect("accounts:security")


@login_required
def security(request):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user = request.user
    authenticators = {a.type: a for a in Authenticator.objects.filter(user=user)}
    recovery = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    return render(
        request,
        "accounts/security.html",
        {
            "has_totp": Authenticator.Type.TOTP in authenticators,
            "recovery_codes_left": len(RecoveryCodes(recovery).get_unused_codes()) if recovery else None,
            "session_count": selectors.account_sessions(user).count(),
            "granted_count": user.delegations_granted.active().count(),
            "received_count": user.delegations_received.active().count(),
        },
    )


@login_required
def activity(request):
    user = request.user
    page = Paginator(selectors.account_activity(user), ACTIVITY_PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page:
        event.label = selectors.action_label(event.action)
    sessions = list(selectors.account_sessions(user))
    for session in sessions:
        session.current = session.session_key == request.session.session_key
    return render(request, "accounts/activity.html", {"page": page, "sessions": sessions})


@login_required
@require_POST
def sign_out_others(request):
    ended = services.account_end_other_sessions(
        actor=request.actor, keep_session_key=request.session.session_key
    )
    messages.success(request, _("Signed out on %(count)d other device(s).") % {"count": ended})
    return redirect("accounts:activity")


@login_required
def delegations(request):
    user = request.user
    return render(
        request,
        "accounts/delegations.html",
        {
            "granted": selectors.delegations_granted(user),
            "received": selectors.delegations_received(user),
            "may_grant": not request.actor.is_delegate and _may_grant(user),
            "acting_id": request.actor.delegation.pk if request.actor.delegation else None,
        },
    )


def _may_grant(user) -> bool:
    return user.is_household or user.has_perm("accounts.grant_delegation")


@login_required
def delegation_grant(request):
    if not _may_grant(request.user):
        raise PermissionDenied(_("Only a household or an office manager can grant a delegation."))
    if request.actor.is_delegate:
        messages.error(
            request, _("A delegate cannot pass a delegation on. Switch back to your own account first.")
        )
        return redirect("accounts:delegations")
    form = DelegationGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            delegation = services.delegation_grant(actor=request.actor, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(person)s can now act for you until %(date)s.")
                % {"person": delegation.delegate, "date": delegation.valid_until},
            )
            return redirect("accounts:delegations")
    return render(request, "accounts/delegation_grant.html", {"form": form})


@login_required
@require_POST
def delegation_revoke(request, pk: int):
    delegation = get_object_or_404(request.user.delegations_granted, pk=pk)
    try:
        services.delegation_revoke(actor=request.actor, delegation=delegation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The delegation is revoked. It stops working immediately."))
    return redirect("accounts:delegations")


@login_required
@require_POST
def act_as(request, pk: int):
    delegation = get_object_or_404(request.user.delegations_received.select_related("principal"), pk=pk)
    try:
        services.delegation_act_as(actor=request.actor, delegation=delegation)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect("accounts:delegations")
    request.session[ActingForMiddleware.SESSION_KEY] = delegation.pk
    messages.info(request, _("You are now acting for %(principal)s.") % {"principal": delegation.principal})
    return redirect("home")


@login_required
@require_POST
def act_as_self(request):
    services.delegation_act_as(actor=request.actor, delegation=None)
    request.session.pop(ActingForMiddleware.SESSION_KEY, None)
    messages.info(request, _("You are back on your own account."))
    return redirect("home")


@login_required
def report_compromised(request):
    form = CompromisedReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.account_report_compromised(actor=request.actor, reason=form.cleaned_data["reason"])
        logout(request)
        return redirect("accounts:compromised_done")
    return render(request, "accounts/report_compromised.html", {"form": form})


def compromised_done(request):
    return render(request, "accounts/compromised_done.html")


@require_POST
def language_switch(request):
    """Switch the site's language; a signed-in person's messages (SMS, e-mail) follow the choice."""
    response = set_language(request)
    language = request.POST.get("language")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return response
