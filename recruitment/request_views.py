"""The household's recruitment pages: start a request on a visa, compare and choose an office, read the
offers and choose a worker (or ask for new offers), and follow the contract until the worker answers.

A household reaches only its own requests and visas (anything else is "not found"); a delegate needs
the "recruitment" scope. Views read with request_selectors and write through requests.py.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from households import views as household_views
from musaned.accounts.models import DelegationScope
from musaned.documents.services import verification_qr_data_uri, verification_url
from musaned.policy.services import NoRulesInForce, rules_in_force

from . import contracts, request_selectors
from . import requests as services
from .models import OPEN_REQUEST_STATES, OfferState, Office, RecruitmentRequest, RequestMode, RequestState
from .selectors import age_on, cities, offices_compare

household_page = household_views.household_page(scope=DelegationScope.RECRUITMENT)


def _own_request(household, reference: str) -> RecruitmentRequest:
    return get_object_or_404(request_selectors.requests_of(household), reference=reference)


def _show_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal, on the form: per field where it names one of the form's fields."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _refusal(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- the list and the start -----------------------------------------------------------------------


@household_page
def request_list(request, household):
    context = {
        "requests": [
            (item, request_selectors.state_class(item.state))
            for item in request_selectors.requests_of(household)
        ],
        "visas": list(request_selectors.visas_to_recruit_on(household)),
    }
    return render(request, "recruitment/requests/list.html", context)


class StartForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("How do you want to recruit?"),
        choices=RequestMode.choices,
        widget=forms.RadioSelect,
        initial=RequestMode.SPECIFICATION,
    )
    named_worker_name = forms.CharField(
        label=gettext_lazy("Worker's full name (as in her passport)"), max_length=150, required=False
    )
    named_worker_passport = forms.CharField(
        label=gettext_lazy("Passport number"), max_length=20, required=False
    )
    named_worker_passport_expiry = forms.DateField(
        label=gettext_lazy("Passport valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    named_worker_phone = forms.CharField(
        label=gettext_lazy("Worker's mobile number"),
        max_length=20,
        required=False,
        help_text=gettext_lazy(
            "With the country code, for example +639171234567. The contract is sent to it."
        ),
        widget=forms.TextInput(attrs={"type": "tel", "dir": "ltr", "autocomplete": "off"}),
    )


@household_page
def start(request, household, visa_reference: str):
    visa = get_object_or_404(
        household.visas.select_related("occupation", "nationality"), reference=visa_reference
    )
    open_request = visa.recruitment_requests.filter(state__in=OPEN_REQUEST_STATES).first()
    if open_request is not None:
        messages.info(request, _("This visa already has a request in progress. Here it is."))
        return redirect("requests:detail", reference=open_request.reference)
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        named = None
        if data["mode"] == RequestMode.NAMED:
            named = services.NamedWorker(
                name=data["named_worker_name"],
                passport_number=data["named_worker_passport"],
                passport_expiry=data["named_worker_passport_expiry"],
                phone=data["named_worker_phone"],
            )
        try:
            created = services.request_create(
                actor=request.actor, visa=visa, mode=data["mode"], named_worker=named
            )
        except ValidationError as error:
            open_request = visa.recruitment_requests.filter(state__in=OPEN_REQUEST_STATES).first()
            if open_request is not None:  # sent twice: the first one made it
                messages.info(request, _("This visa already has a request in progress. Here it is."))
                return redirect("requests:detail", reference=open_request.reference)
            _show_errors(form, error)
        else:
            messages.success(request, _("Your request is started. Now choose the office to send it to."))
            return redirect("requests:offices", reference=created.reference)
    try:
        rule_set = rules_in_force(on=timezone.localdate())
    except NoRulesInForce:
        rule_set = None
    return render(
        request, "recruitment/requests/start.html", {"visa": visa, "form": form, "rule_set": rule_set}
    )


# --- one request ----------------------------------------------------------------------------------


def _document_context(contract) -> dict:
    document = contracts.contract_document(contract) if contract else None
    if document is None:
        return {"document": None}
    url = verification_url(document.code)
    return {"document": document, "verify_url": url, "qr_data_uri": verification_qr_data_uri(url)}


@household_page
def detail(request, household, reference: str):
    item = _own_request(household, reference)
    contract = request_selectors.live_contract(item)
    offers = [
        (offer, age_on(offer.cv.date_of_birth, timezone.localdate()))
        for offer in request_selectors.offers_for_household(item)
    ]
    context = {
        "item": item,
        "state_class": request_selectors.state_class(item.state),
        "contract": contract,
        "timeline": request_selectors.request_timeline(item, contract),
        "open_offers": [(offer, age) for offer, age in offers if offer.state == OfferState.OPEN],
        "closed_offers": [(offer, age) for offer, age in offers if offer.state != OfferState.OPEN],
        "can_choose": item.state == RequestState.OFFERS_SENT,
        "can_change_office": item.state in (RequestState.AWAITING_OFFERS, RequestState.OFFICE_LATE),
        "on_case_page": item.state in request_selectors.CASE_STATES,
        "cancellable": item.state
        in (
            RequestState.AWAITING_OFFERS,
            RequestState.OFFICE_LATE,
            RequestState.OFFERS_SENT,
            RequestState.AWAITING_WORKER,
        ),
        **_document_context(contract),
    }
    return render(request, "recruitment/requests/detail.html", context)


@household_page
def offices(request, household, reference: str):
    """Compare the offices recruiting this occupation from this country, and send the request to one."""
    item = _own_request(household, reference)
    if item.state not in (RequestState.AWAITING_OFFERS, RequestState.OFFICE_LATE):
        messages.info(request, _("The office can be changed only while you wait for offers."))
        return redirect("requests:detail", reference=item.reference)
    if request.method == "POST":
        office = Office.objects.filter(pk=request.POST.get("office") or 0).first()
        if office is None:
            messages.error(request, _("Choose one of the offices listed."))
        else:
            try:
                services.request_choose_office(actor=request.actor, request=item, office=office)
            except ValidationError as error:
                _refusal(request, error)
            else:
                messages.success(
                    request,
                    _("Your request is sent to %(office)s. They answer by the deadline shown below.")
                    % {"office": office.name},
                )
                return redirect("requests:detail", reference=item.reference)
    city = request.GET.get("city", "")
    rows = offices_compare(
        nationality=item.visa.nationality, occupation=item.visa.occupation, city=city or None
    )
    context = {"item": item, "rows": rows, "cities": cities(), "city": city}
    return render(request, "recruitment/requests/offices.html", context)


@household_page
@require_POST
def select(request, household, reference: str, pk: int):
    item = _own_request(household, reference)
    offer = get_object_or_404(item.offers, pk=pk)
    try:
        contract = services.offer_select(actor=request.actor, request=item, offer=offer)
    except ValidationError as error:
        _refusal(request, error)
    else:
        messages.success(
            request,
            _("You chose %(worker)s. The contract is sent to her to accept in her language.")
            % {"worker": contract.cv.name},
        )
    return redirect("requests:detail", reference=item.reference)


@household_page
@require_POST
def reject_all(request, household, reference: str):
    item = _own_request(household, reference)
    try:
        services.offers_reject_all(actor=request.actor, request=item)
    except ValidationError as error:
        _refusal(request, error)
    else:
        messages.success(
            request,
            _(
                "The offers are turned down. %(office)s will send new ones; "
                "you may also choose another office."
            )
            % {"office": item.office.name},
        )
    return redirect("requests:detail", reference=item.reference)


@household_page
def contract_pdf(request, household, reference: str):
    item = _own_request(household, reference)
    contract = item.contracts.order_by("-pk").first()
    document = contracts.contract_document(contract) if contract else None
    if document is None:
        raise Http404(_("The contract is not printed yet."))
    return FileResponse(
        document.pdf.open("rb"),
        as_attachment=True,
        filename=f"contract-{item.reference}.pdf",
        content_type="application/pdf",
    )
