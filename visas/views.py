"""The household's visa pages: apply, "My visas", one visa with its timeline, its PDF, and cancelling it.

Views read with selectors and write through the visa services. A household only reaches its own visas
(anything else is "not found"); a delegate needs the "visa applications" scope.
"""

import secrets
import time

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from households import views as household_views
from households.eligibility import household_eligibility
from musaned.accounts.models import DelegationScope
from musaned.billing.models import BillState
from musaned.documents.models import Document
from musaned.documents.services import verification_qr_data_uri, verification_url
from musaned.policy.money import format_amount
from musaned.policy.services import NoRulesInForce

from . import selectors, services
from .forms import ApplyForm
from .models import Visa, VisaKind, VisaState

# One-time tokens of the apply form: issued into the session, claimed in the shared cache so that two
# clicks arriving together still make one application.
SESSION_TOKENS = "visa_apply_tokens"
SESSION_TOKENS_KEPT = 10
TOKEN_CLAIM_SECONDS = 24 * 3600
TOKEN_WAIT_SECONDS = 8.0
TOKEN_POLL_SECONDS = 0.2


visa_page = household_views.household_page(scope=DelegationScope.VISA_APPLICATIONS)


def _own_visa(household, reference: str) -> Visa:
    return get_object_or_404(selectors.visas_for_household(household=household), reference=reference)


def _latest_document(visa: Visa) -> Document | None:
    return (
        Document.objects.filter(
            subject_type=ContentType.objects.get_for_model(Visa), subject_id=str(visa.pk), kind="visa"
        )
        .order_by("-version")
        .first()
    )


# Apply --------------------------------------------------------------------------------------------


def _issue_token(request) -> str:
    token = secrets.token_urlsafe(24)
    tokens = request.session.get(SESSION_TOKENS, {})
    tokens[token] = ""
    request.session[SESSION_TOKENS] = dict(list(tokens.items())[-SESSION_TOKENS_KEPT:])
    return token


def _claim_key(token: str) -> str:
    return f"visas:apply:{token}"


def _claim(token: str) -> str | None:
    """Take the token for this request (None), or give the application another request made with it.

    The other request may still be running: wait briefly for its application ("" if it is not there
    in time). A token freed by a refused attempt is taken again.
    """
    key = _claim_key(token)
    deadline = time.monotonic() + TOKEN_WAIT_SECONDS
    while not cache.add(key, "", timeout=TOKEN_CLAIM_SECONDS):
        reference = cache.get(key)
        if reference:
            return reference
        if time.monotonic() > deadline:
            return ""
        time.sleep(TOKEN_POLL_SECONDS)
    return None


def _fees(household, rule_set) -> dict:
    """What the page says an application costs; the service bills it the same way."""
    return {
        "new": services.visa_fee_for(household=household, rule_set=rule_set, kind=VisaKind.NEW),
        "again": services.visa_fee_for(household=household, rule_set=rule_set, kind=VisaKind.REAPPLICATION),
    }


def _show_errors(form, exc: ValidationError) -> None:
    """A service's refusal, on the form: per field where it names one of the form's fields."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@visa_page
def apply(request, household):
    """Eligibility and fee first; the form only while a visa can be applied for."""
    try:
        eligibility = household_eligibility(household=household)
    except NoRulesInForce:
        eligibility = None
    context = {"household": household, "eligibility": eligibility}
    if eligibility is None or not eligibility.eligible:
        return render(request, "visas/household/apply.html", context)
    context["fees"] = _fees(household, eligibility.rule_set)

    if request.method != "POST":
        initial = {"stated_income": household.monthly_income, "token": _issue_token(request)}
        return render(request, "visas/household/apply.html", {**context, "form": ApplyForm(initial=initial)})

    tokens = request.session.get(SESSION_TOKENS, {})
    token = request.POST.get("token", "")
    if tokens.get(token):
        messages.info(request, _("This application was already sent. Here it is."))
        return redirect("visas:detail", reference=tokens[token])
    form = ApplyForm(request.POST)
    if token not in tokens:
        form = ApplyForm({**request.POST.dict(), "token": _issue_token(request)})
        form.is_valid()
        form.add_error(None, _("This form has expired. Check the details and send it again."))
    elif form.is_valid():
        reference = _claim(token)
        if reference:
            messages.info(request, _("This application was already sent. Here it is."))
            return redirect("visas:detail", reference=reference)
        if reference is not None:
            messages.info(request, _("Your application is being sent. It will appear here in a moment."))
            return redirect("visas:list")
        visa = _send_application(request, form, token)
        if visa is not None:
            tokens[token] = visa.reference
            request.session[SESSION_TOKENS] = tokens
            if visa.state == VisaState.AWAITING_PAYMENT:
                messages.success(request, _("Your application is received. Pay the fee to start the review."))
            else:
                messages.success(request, _("Your application is received and is being reviewed."))
            return redirect("visas:detail", reference=visa.reference)
    return render(request, "visas/household/apply.html", {**context, "form": form})


def _send_application(request, form: ApplyForm, token: str) -> Visa | None:
    """Apply under the claimed token; on a refusal the errors go on the form and the token is free again."""
    try:
        visa = services.visa_apply(
            actor=request.actor,
            occupation=form.cleaned_data["occupation"],
            nationality=form.cleaned_data["nationality"],
            gender=form.cleaned_data["gender"],
            arrival_city=form.cleaned_data["arrival_city"],
            stated_income=form.cleaned_data["stated_income"],
        )
    except ValidationError as exc:
        cache.delete(_claim_key(token))
        _show_errors(form, exc)
        return None
    except BaseException:
        cache.delete(_claim_key(token))
        raise
    cache.set(_claim_key(token), visa.reference, timeout=TOKEN_CLAIM_SECONDS)
    return visa


# My visas, one visa -------------------------------------------------------------------------------


@visa_page
def visa_list(request, household):
    visas = list(selectors.visas_for_household(household=household))
    return render(request, "visas/household/list.html", {"household": household, "visas": visas})


@visa_page
def detail(request, household, reference: str):
    visa = _own_visa(household, reference)
    document = _latest_document(visa)
    verify_url = verification_url(document.code) if document else ""
    return render(
        request,
        "visas/household/detail.html",
        {
            "household": household,
            "visa": visa,
            "timeline": selectors.visa_timeline(visa=visa),
            "document": document,
            "verify_url": verify_url,
            "qr_data_uri": verification_qr_data_uri(verify_url) if document else "",
            "pay_url": _pay_url(visa),
            "cancellable": services.visa_cancellable(visa=visa),
        },
    )


def _pay_url(visa: Visa) -> str:
    """The bill's pay page while the fee is due, coming back to the visa once paid."""
    if visa.state != VisaState.AWAITING_PAYMENT or visa.bill is None or visa.bill.state != BillState.OPEN:
        return ""
    back = urlencode({"next": reverse("visas:detail", kwargs={"reference": visa.reference})})
    return f"{reverse('billing:pay', kwargs={'number': visa.bill.number})}?{back}"


@visa_page
def document(request, household, reference: str):
    """The stored PDF of the latest visa document, for the household the visa belongs to."""
    visa = _own_visa(household, reference)
    stored = _latest_document(visa)
    if stored is None:
        raise Http404
    response = FileResponse(
        stored.pdf.open("rb"),
        as_attachment=True,
        filename=f"visa-{visa.number or visa.reference}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@visa_page
def cancel(request, household, reference: str):
    """Confirm with the refund and its formula shown; the POST cancels through the service."""
    visa = _own_visa(household, reference)
    if not services.visa_cancellable(visa=visa):
        messages.error(request, _("This visa cannot be cancelled."))
        return redirect("visas:detail", reference=visa.reference)
    refund = services.visa_cancel_refund(visa=visa)
    if request.method != "POST":
        return render(
            request, "visas/household/cancel.html", {"household": household, "visa": visa, "refund": refund}
        )
    try:
        services.visa_cancel(actor=request.actor, visa=visa)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if refund.amount > 0:
            messages.success(
                request,
                _("Your visa is cancelled. %(amount)s SAR will be refunded to the account that paid the fee.")
                % {"amount": format_amount(refund.amount)},
            )
        else:
            messages.success(request, _("Your visa is cancelled."))
    return redirect("visas:detail", reference=visa.reference)
