"""The payer's pages: their bills, paying in the demo, receipts; and nobody else's bills."""

import datetime as dt
import io
import re
import unicodedata

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from musaned.accounts.models import Delegation, DelegationScope, User
from musaned.accounts.roles import Role
from musaned.billing.models import BillPurpose, BillState, NoticeOutcome, PaymentNotice
from musaned.documents.models import Document
from tests.factories import HouseholdFactory, UserFactory, with_second_factor

from .conftest import bank_pays, fresh, post_callback, sign_in

pytestmark = pytest.mark.django_db

BILLS = reverse("billing:bills")


def pdf_text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def pay_at_bank(client, bill, capture):
    body, signature = bank_pays(bill.number)
    with capture(execute=True):
        assert post_callback(client, body, signature).status_code == 200
    return fresh(bill)


def act_for(client, principal, scope, delegate=None):
    delegate = delegate or UserFactory(roles=[])
    delegation = Delegation.objects.create(
        principal=principal,
        delegate=delegate,
        scope=scope,
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    sign_in(client, delegate)
    session = client.session
    session["acting_delegation_id"] = delegation.pk
    session.save()
    return client


def test_my_bills_shows_my_bills_and_nobody_elses(
    client, household, issue_bill, django_capture_on_commit_callbacks
):
    mine = issue_bill(household)
    paid = pay_at_bank(client, issue_bill(household), django_capture_on_commit_callbacks)
    theirs = issue_bill(HouseholdFactory())

    page = sign_in(client, household.user).get(BILLS).content.decode()

    assert mine.number in page and paid.number in page
    assert theirs.number not in page
    assert "2,300 SAR" in page and "(of which VAT 300 SAR)" in page
    assert reverse("billing:pay", args=[mine.number]) in page
    assert reverse("billing:receipt", args=[paid.number]) in page
    assert reverse("billing:pay", args=[paid.number]) not in page


def test_my_bills_costs_the_same_queries_for_many_bills(
    client, household, issue_bill, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    bills = []
    for _ in range(3):
        bills.append(pay_at_bank(client, issue_bill(household), django_capture_on_commit_callbacks))
        bills.append(issue_bill(household))
    sign_in(client, household.user).get(BILLS)  # the first visit records the new session

    with django_assert_max_num_queries(13):
        response = client.get(BILLS)
    page = response.content.decode()
    assert all(bill.number in page for bill in bills)


def test_the_payer_downloads_the_receipt_with_the_bill_number_and_arabic_text(
    client, bill, django_capture_on_commit_callbacks
):
    paid = pay_at_bank(client, bill, django_capture_on_commit_callbacks)

    response = sign_in(client, paid.payer).get(reverse("billing:receipt", args=[paid.number]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"receipt-{paid.number}.pdf" in response["Content-Disposition"]
    text = pdf_text(b"".join(response.streaming_content))
    assert paid.number in text
    assert paid.payment_ref in text
    assert "إيصال دفع" in text and "Payment receipt" in text
    assert "رسوم تأشيرة العمالة المنزلية" in text
    assert "SAR 2,300" in text and "SAR 300" in text


def test_a_missing_receipt_is_printed_when_asked_for(client, bill):
    body, signature = bank_pays(bill.number)
    post_callback(client, body, signature)  # the receipt task never ran
    assert not Document.objects.exists()

    response = sign_in(client, bill.payer).get(reverse("billing:receipt", args=[bill.number]))

    assert response.status_code == 200
    assert Document.objects.filter(kind="receipt").count() == 1


def test_nobody_else_can_see_pay_or_download_a_bill(client, bill, django_capture_on_commit_callbacks):
    paid = pay_at_bank(client, bill, django_capture_on_commit_callbacks)
    other_household = HouseholdFactory().user
    officer = UserFactory(roles=[Role.VISA_REVIEW])
    with_second_factor(officer)

    for person in (other_household, officer):
        sign_in(client, person)
        assert client.get(reverse("billing:receipt", args=[paid.number])).status_code == 404
        assert client.get(reverse("billing:pay", args=[paid.number])).status_code == 404
        assert paid.number not in client.get(BILLS).content.decode()


def test_an_unpaid_bill_has_no_receipt(client, bill):
    assert sign_in(client, bill.payer).get(reverse("billing:receipt", args=[bill.number])).status_code == 404


def test_signing_in_is_needed(client, bill):
    response = client.get(BILLS)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_paying_in_the_demo_goes_through_the_signed_callback(
    client, bill, paid_signals, django_capture_on_commit_callbacks
):
    sign_in(client, bill.payer)
    page = client.get(reverse("billing:pay", args=[bill.number])).content.decode()
    assert "Demonstration payment" in page and "Pay 2,300 SAR" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:pay", args=[bill.number]), {"next": "/visas/"})

    assert response.status_code == 302 and response["Location"] == "/visas/"
    assert fresh(bill).state == BillState.PAID
    assert len(paid_signals) == 1
    notice = PaymentNotice.objects.get()
    assert (notice.source, notice.outcome) == ("demo", NoticeOutcome.ACCEPTED)
    assert "Payment received. Thank you." in client.get(BILLS).content.decode()


def test_paying_a_paid_bill_again_takes_nothing(client, bill, django_capture_on_commit_callbacks):
    paid = pay_at_bank(client, bill, django_capture_on_commit_callbacks)
    sign_in(client, paid.payer)

    response = client.post(reverse("billing:pay", args=[paid.number]), follow=True)

    assert "This bill is no longer waiting for payment." in response.content.decode()
    assert PaymentNotice.objects.count() == 1


def test_the_demo_redirect_stays_on_the_site(client, bill):
    sign_in(client, bill.payer)
    response = client.post(reverse("billing:pay", args=[bill.number]), {"next": "https://evil.example/"})
    assert response["Location"] == BILLS


def test_with_the_real_payment_service_the_page_shows_the_number_to_pay_at_the_bank(client, settings, bill):
    settings.INTEGRATIONS_MODE = "http"
    sign_in(client, bill.payer)

    page = client.get(reverse("billing:pay", args=[bill.number])).content.decode()

    assert fresh(bill).gateway_reference in page
    assert "Demonstration payment" not in page
    assert client.post(reverse("billing:pay", args=[bill.number])).status_code == 404
    assert fresh(bill).state == BillState.OPEN


def test_a_delegate_for_visa_applications_sees_and_pays_the_visa_fee(
    client, household, issue_bill, django_capture_on_commit_callbacks
):
    visa_fee = issue_bill(household)
    contract = issue_bill(household, purpose=BillPurpose.CONTRACT)
    act_for(client, household.user, DelegationScope.VISA_APPLICATIONS)

    page = client.get(BILLS).content.decode()
    assert visa_fee.number in page and contract.number not in page
    assert client.get(reverse("billing:pay", args=[contract.number])).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("billing:pay", args=[visa_fee.number]))
    assert fresh(visa_fee).state == BillState.PAID
    assert fresh(contract).state == BillState.OPEN


def test_a_delegate_for_the_profile_cannot_see_bills(client, household, bill):
    act_for(client, household.user, DelegationScope.PROFILE)

    assert client.get(BILLS).status_code == 403
    assert client.post(reverse("billing:pay", args=[bill.number])).status_code == 403
    assert fresh(bill).state == BillState.OPEN


def test_the_receipt_can_be_checked_by_its_code(client, bill, django_capture_on_commit_callbacks):
    cache.clear()
    paid = pay_at_bank(client, bill, django_capture_on_commit_callbacks)
    receipt = Document.objects.get(kind="receipt")
    client.cookies["django_language"] = "en"

    page = client.get(reverse("documents:verify", args=[receipt.code])).content.decode()

    assert "Payment receipt" in page and paid.number in page
    assert "Paid" in page
    assert paid.payer.email not in page


def test_the_admin_shows_bills_read_only(client, bill):
    admin = User.objects.create_superuser(email="billing-admin@example.sa", password="Strong-pass-2026!")
    with_second_factor(admin)
    sign_in(client, admin)

    assert bill.number in client.get(reverse("admin:billing_bill_changelist")).content.decode()
    assert client.get(reverse("admin:billing_bill_change", args=[bill.pk])).status_code == 200
    assert client.get(reverse("admin:billing_bill_add")).status_code == 403
    assert (
        client.post(reverse("admin:billing_bill_delete", args=[bill.pk]), {"post": "yes"}).status_code == 403
    )
    assert client.get(reverse("admin:billing_refund_add")).status_code == 403
    assert client.get(reverse("admin:billing_paymentnotice_add")).status_code == 403


def test_paying_in_the_demo_while_the_payment_service_is_down_says_so_and_takes_nothing(
    client, settings, household, issue_bill
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"payment": "timeout"}
    bill = issue_bill(household)  # the payment service never heard of it
    sign_in(client, bill.payer)

    response = client.post(reverse("billing:pay", args=[bill.number]), follow=True)

    assert "The payment service is not answering." in response.content.decode()
    assert fresh(bill).state == BillState.OPEN
    assert not PaymentNotice.objects.exists()


def test_the_pages_work_in_arabic(client, bill):
    sign_in(client, bill.payer, language="ar")

    for url in (BILLS, reverse("billing:pay", args=[bill.number])):
        response = client.get(url)
        assert response.status_code == 200
        assert 'dir="rtl"' in response.content.decode() and bill.number in response.content.decode()
