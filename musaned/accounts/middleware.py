"""Request-wide concerns: the language, staff second factor, and who is acting for whom."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from .actor import Actor

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
                user.delegations_received.active().select_related("principal").filter(pk=delegation_id).first()
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
    """Office and ministry staff cannot use the platform until they have set up a TOTP second factor."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/language/", "/verify/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and user.requires_second_factor
            and not _has_totp(user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
