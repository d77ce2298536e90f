"""The public check of a document by its code: no sign-in, and nothing beyond what the paper says."""

import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from musaned.accounts.middleware import client_ip
from musaned.dates import format_both

from . import services
from .forms import VerifyCodeForm

LOOKUPS_PER_MINUTE = 20


@require_GET
def verify_form(request):
    """Type a code in; a valid-looking code goes to its page, where the lookup (and the throttle) is."""
    form = VerifyCodeForm(request.GET or None)
    if form.is_valid():
        return redirect("documents:verify", code=form.cleaned_data["code"])
    return render(request, "documents/verify_form.html", {"form": form})


@never_cache
@require_GET
def verify(request, code: str):
    if _too_many_lookups(request):
        response = render(request, "documents/verify_throttled.html", status=429)
        response["Retry-After"] = "60"
        return response
    document = services.document_verify(code=code)
    if document is None:
        return render(request, "documents/verify_not_found.html", {"form": VerifyCodeForm()}, status=404)
    is_valid, label = services.document_validity(document)
    language = _statement_language(document.statement)
    context = {
        "is_valid": is_valid,
        "status_label": label,
        "title": document.statement["title"][language],
        "facts": [(fact["label"][language], fact["value"][language]) for fact in document.statement["facts"]],
        "issued_on": format_both(timezone.localdate(document.created_at), language),
        "valid_until": format_both(document.valid_until, language) if document.valid_until else "",
        "code": document.code,
    }
    response = render(request, "documents/verify.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


def _statement_language(statement: dict) -> str:
    current = translation.get_language() or settings.LANGUAGE_CODE
    return current if current in statement["title"] else settings.LANGUAGE_CODE


def _too_many_lookups(request) -> bool:
    """A fixed one-minute window per address, counted in the shared cache: codes cannot be tried in bulk."""
    limit = getattr(settings, "DOCUMENTS_VERIFY_LOOKUPS_PER_MINUTE", LOOKUPS_PER_MINUTE)
    key = f"documents:verify:{client_ip(request) or 'unknown'}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count > limit
