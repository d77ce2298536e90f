"""Request-wide concerns: the language, staff second factor, and who is acting for whom."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from .actor import Actor
from .services import has_totp

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


class LanguageMiddleware:
    """Arabic unless the person chose English: the cookie decides, never the browser's guess."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(LANGUAGE_COOKIE)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class ActingForMiddleware:
    """Builds `request.actor`: the signed-in person and, under a live delegation, the account served."""

    SESSION_KEY = "acting_delegation_id"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.actor = self.actor_for(request, user)
        return self.get_response(request)

    def actor_for(self, request, user) -> Actor:
        ip, agent = client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300]
        delegation_id = request.session.get(self.SESSION_KEY)
        if delegation_id:
            delegation = (
                user.delegations_received.active()
                .select_related("principal")
                .filter(pk=delegation_id)
                .first()
            )
            if delegation is not None:
                return Actor(
                    user=user,
                    principal=delegation.principal,
                    delegation=delegation,
                    ip_address=ip,
                    user_agent=agent,
                )
            request.session.pop(self.SESSION_KEY, None)  # revoked or expired: back to the own account
        return Actor.direct(user, ip_address=ip, user_agent=agent)


class StaffSecondFactorMiddleware:
    """Office and ministry staff cannot use the platform until they have set up a TOTP second factor.

    Until then they may only reach what setting it up needs: sign-in and sign-out, password reset,
    e-mail confirmation, allauth's second-factor pages, the language switch, and the
    "my account is compromised" report.
    """

    ALLOWED_PREFIXES = ("/static/", "/verify/", "/health/")
    ALLOWED_URL_NAMES = frozenset(
        {
            "account_login",
            "account_logout",
            "account_inactive",
            "account_reauthenticate",
            "account_reset_password",
            "account_reset_password_done",
            "account_reset_password_from_key",
            "account_reset_password_from_key_done",
            "account_confirm_email",
            "account_email_verification_sent",
            "set_language",
            "accounts:report_compromised",
            "accounts:compromised_done",
        }
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.requires_second_factor
            and not self.allowed(request.path_info)
            and not has_totp(user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    def allowed(self, path: str) -> bool:
        if path.startswith(self.ALLOWED_PREFIXES):
            return True
        try:
            match = resolve(path)
        except Resolver404:
            return True  # nothing there: the 404 page is harmless
        return match.view_name.startswith("mfa_") or match.view_name in self.ALLOWED_URL_NAMES
