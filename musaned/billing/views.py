"""The payer's bills and receipts, and the endpoint the payment service posts its notices to."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from musaned.integrations.base import GatewayError

from . import selectors, services
from .models import BillState

SIGNATURE_HEADER = "X-Payment-Signature"
BILLS_PAGE_SIZE = 25


def _visible_bills(request):
    actor = request.actor
    if actor.delegation is not None and actor.delegation.scope not in selectors.PURPOSE_SCOPES.values():
        raise PermissionDenied(_("Your delegation does not cover bills and payments."))
    return selectors.bills_visible_to(actor)


@login_required
def bills(request):
    _visible_bills(request)
    page = Paginator(selectors.bill_list(request.actor), BILLS_PAGE_SIZE).get_page(request.GET.get("page"))
    receipts = selectors.receipts_of(list(page.object_list))
    rows = [(bill, receipts.get(bill.pk)) for bill in page.object_list]
    return render(request, "billing/bills.html", {"page": page, "rows": rows, "BillState": BillState})


def _next_url(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@login_required
def pay(request, number: str):
    bill = get_object_or_404(_visible_bills(request).select_related("rule_set"), number=number)
    demo = settings.INTEGRATIONS_MODE == "fake"
    if request.method == "POST":
        if not demo:
            raise Http404
        try:
            answer = services.bill_demo_pay(actor=request.actor, bill=bill)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("billing:pay", number=bill.number)
        except GatewayError:
            messages.error(
                request, _("The payment service is not answering. Please try again in a few minutes.")
            )
            return redirect("billing:pay", number=bill.number)
        if answer.outcome == services.PaymentOutcome.ACCEPTED:
            messages.success(request, _("Payment received. Thank you."))
        elif answer.outcome == services.PaymentOutcome.DUPLICATE:
            messages.info(request, _("This bill is already paid."))
        else:
            messages.error(request, _("The payment could not be recorded. Please try again later."))
        return redirect(_next_url(request) or "billing:bills")
    return render(request, "billing/pay.html", {"bill": bill, "demo": demo, "next": _next_url(request) or ""})


@login_required
def receipt(request, number: str):
    bill = get_object_or_404(_visible_bills(request), number=number, state=BillState.PAID)
    document = selectors.latest_receipt(bill) or services.bill_receipt(bill=bill)
    response = FileResponse(
        document.pdf.open("rb"),
        as_attachment=True,
        filename=f"receipt-{bill.number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_exempt
@never_cache
@require_POST
def callback(request):
    """The payment service's notice that a bill was paid: believed only once its signature checks out."""
    answer = services.payment_callback_handle(
        body=request.body, signature=request.headers.get(SIGNATURE_HEADER, "")
    )
    return JsonResponse(answer.body, status=answer.status)
