"""The worker's pages: no account, her link is the key. She reads her contract in her own language (the
ministry's text first, then the Arabic and English terms), downloads it, and accepts or declines it
before her deadline. An unknown link is "not found"; a closed or expired one says so (410).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import contracts
from . import requests as services
from .models import Contract

OPEN, ACCEPTED, DECLINED, EXPIRED = "open", "accepted", "declined", "expired"


def _contract(token: str) -> Contract:
    contract = services.contract_for_token(token)
    if contract is None:
        raise Http404
    return Contract.objects.select_related(
        "request__household", "office", "cv__nationality", "cv__occupation", "offer", "rule_set"
    ).get(pk=contract.pk)


def _status(contract: Contract) -> str:
    if contract.worker_accepted_at is not None:
        return ACCEPTED
    if contract.worker_declined_at is not None:
        return DECLINED
    if timezone.now() > contract.worker_decision_due_at:
        return EXPIRED
    return OPEN


def _page_language(request, contract: Contract) -> str:
    """The page's own words: the language the person chose on this device, else Arabic for an Arabic
    speaker and English for everyone else (her own language is in the labels and the contract)."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in dict(settings.LANGUAGES):
        return translation.get_language()
    return "ar" if contract.worker_language == "ar" else "en"


def _render(request, contract: Contract, *, reason_error: str = "", status_code: int | None = None):
    status = _status(contract)
    with translation.override(_page_language(request, contract)):
        context = {
            "contract": contract,
            "token": contract.worker_token,
            "status": status,
            "labels": contracts.worker_labels(contract),
            "section": contracts.worker_section(contract),
            "terms": contracts.contract_terms(contract),
            "document": contracts.contract_document(contract) if status in (OPEN, ACCEPTED) else None,
            "reason_error": reason_error,
        }
        code = status_code or (410 if status in (DECLINED, EXPIRED) else 200)
        return render(request, "recruitment/worker/contract.html", context, status=code)


@never_cache
def contract(request, token: str):
    return _render(request, _contract(token))


@never_cache
@require_POST
def accept(request, token: str):
    current = _contract(token)
    try:
        services.contract_worker_accept(token=token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("worker:contract", token=current.worker_token)


@never_cache
@require_POST
def decline(request, token: str):
    current = _contract(token)
    reason = request.POST.get("reason", "")
    if len(reason.strip()) > services.REASON_MAX:
        with translation.override(_page_language(request, current)):
            message = contracts.worker_labels(current)["reason_too_long"]
        return _render(request, current, reason_error=message, status_code=400)
    try:
        services.contract_worker_decline(token=token, reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("worker:contract", token=current.worker_token)


@never_cache
def contract_pdf(request, token: str):
    current = _contract(token)
    document = contracts.contract_document(current) if _status(current) in (OPEN, ACCEPTED) else None
    if document is None:
        raise Http404
    return FileResponse(
        document.pdf.open("rb"),
        as_attachment=True,
        filename=f"contract-{contracts.contract_number(current)}.pdf",
        content_type="application/pdf",
    )
