"""The household's visa pages over HTTP: apply, pay, follow the visa, download it, cancel it."""

import datetime as dt
import re
import threading
from decimal import Decimal
from http.cookies import SimpleCookie

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.models import DelegationScope
from musaned.billing.models import Bill, Refund
from musaned.documents.models import Document
from musaned.documents.services import verification_url
from musaned.policy.models import Country
from tests.factories import HouseholdFactory
from visas.models import Visa, VisaState

from .household_support import (
    act_for,
    eligible_household,
    make_delegate,
    sign_in,
)
from .visa_domain import country, fresh, occupation

pytestmark = pytest.mark.django_db


def form_token(page) -> str:
    return re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)


def application(token: str, **overrides) -> dict:
    data = {
        "occupation": occupation().pk,
        "nationality": country().pk,
        "gender": "female",
        "arrival_city": "RUH",
        "stated_income": "12000",
        "token": token,
    }
    data.update(overrides)
    return data


def apply_over_http(client, capture, **overrides):
    """Open the form, send it, and follow to the application's page; returns (response, visa)."""
    token = form_token(client.get(reverse("visas:apply")))
    with capture(execute=True):
        response = client.post(reverse("visas:apply"), application(token, **overrides))
    visa = Visa.objects.order_by("-pk").first()
    return response, visa


def pay_over_http(client, capture, visa):
    """Follow the page's "Pay now" link and pay through the demo payment page."""
    detail = client.get(reverse("visas:detail", args=[visa.reference])).content.decode()
    pay_url = (
        re.search(r'href="(/payments/bills/\d+/pay/\?next=[^"]+)"', detail).group(1).replace("&amp;", "&")
    )
    with capture(execute=True):
        response = client.post(pay_url, {"next": reverse("visas:detail", args=[visa.reference])})
    assert response.status_code == 302
    assert response["Location"] == reverse("visas:detail", args=[visa.reference])
    return fresh(visa)


def test_apply_pay_and_download_the_issued_visa(client, django_capture_on_commit_callbacks):
    household = eligible_household()
    sign_in(client, household.user)

    page = client.get(reverse("visas:apply")).content.decode()
    assert "You may apply for 2 more domestic worker visas." in page
    assert "2,000 SAR" in page and "172.50 SAR" in page
    assert 'value="12000.00"' in page  # the declared income, prefilled
    assert "Female private driver" in page and "Uzbekistan" in page  # the full reference lists

    response, visa = apply_over_http(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("visas:detail", args=[visa.reference])
    assert visa.state == VisaState.AWAITING_PAYMENT and visa.applied_by == household.user

    detail = client.get(response["Location"]).content.decode()
    assert "Pay now" in detail and visa.bill.number in detail
    assert "Application submitted" in detail and "Pay the fee" in detail
    assert "You (the household)" in detail

    visa = pay_over_http(client, django_capture_on_commit_callbacks, visa)
    assert visa.state in (VisaState.ISSUED, VisaState.ACTIVATED)

    detail = client.get(reverse("visas:detail", args=[visa.reference])).content.decode()
    assert visa.number in detail
    assert "Pay now" not in detail
    for step in ("Application submitted", "Fee paid: review started", "Visa issued"):
        assert step in detail
    assert reverse("visas:document", args=[visa.reference]) in detail
    document = Document.objects.get(kind="visa", subject_id=str(visa.pk))
    assert verification_url(document.code) in detail
    assert "data:image/png;base64," in detail  # the QR code
    assert "Cancel this visa" in detail

    pdf = client.get(reverse("visas:document", args=[visa.reference]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="visa-{visa.number}.pdf"'
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    listing = client.get(reverse("visas:list")).content.decode()
    assert visa.number in listing and visa.reference in listing
    assert "Housemaid" in listing and "Philippines" in listing


def test_arabic_is_the_default_language(client, django_capture_on_commit_callbacks):
    household = eligible_household()
    sign_in(client, household.user, language=None)
    page = client.get(reverse("visas:apply")).content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "عاملة منزلية" in page and "الفلبين" in page
    _response, visa = apply_over_http(client, django_capture_on_commit_callbacks)
    listing = client.get(reverse("visas:list")).content.decode()
    assert visa.reference in listing
    assert "هـ" in listing  # the application date, Hijri first

    sign_in(client, household.user, language="en")
    page = client.get(reverse("visas:list")).content.decode()
    assert '<html lang="en" dir="ltr">' in page and "Housemaid" in page and "AH" in page


def test_a_household_without_an_income_proof_is_told_why_and_cannot_apply(
    client, django_capture_on_commit_callbacks
):
    household = HouseholdFactory()
    sign_in(client, household.user)
    page = client.get(reverse("visas:apply")).content.decode()
    assert "You cannot apply for a visa yet" in page
    assert "You have not uploaded an income proof yet" in page
    assert "Send the application" not in page and 'name="token"' not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("visas:apply"), application("made-up-token"))
    assert response.status_code == 200
    assert "You have not uploaded an income proof yet" in response.content.decode()
    assert not Visa.objects.exists() and not Bill.objects.exists()


def test_a_full_tier_is_explained_and_nothing_is_created(client, django_capture_on_commit_callbacks):
    household = eligible_household(monthly_income=Decimal("5000"))  # a first visa only
    sign_in(client, household.user)
    _response, first = apply_over_http(client, django_capture_on_commit_callbacks, stated_income="5000")
    assert first is not None

    page = client.get(reverse("visas:apply")).content.decode()
    assert "Your second visa needs a monthly salary of at least 7,000 SAR" in page
    assert "Visas and workers you hold</dt><dd>1" in page
    assert 'name="token"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("visas:apply"), application("any", stated_income="5000"))
    assert list(Visa.objects.all()) == [first]


def test_a_double_click_makes_one_application(client, django_capture_on_commit_callbacks):
    household = eligible_household()  # room for two visas: only the token stops a second one
    sign_in(client, household.user)
    token = form_token(client.get(reverse("visas:apply")))
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("visas:apply"), application(token))
        second = client.post(reverse("visas:apply"), application(token))
    visa = Visa.objects.get()
    assert first["Location"] == second["Location"] == reverse("visas:detail", args=[visa.reference])
    followed = client.get(second["Location"]).content.decode()
    assert "This application was already sent" in followed
    assert Bill.objects.count() == 1


def test_a_form_not_issued_to_this_session_is_refused(client):
    household = eligible_household()
    sign_in(client, household.user)
    response = client.post(reverse("visas:apply"), application("forged-or-stale-token"))
    assert response.status_code == 200
    assert "This form has expired" in response.content.decode()
    assert not Visa.objects.exists()


def test_a_refusal_by_the_service_is_shown_on_the_form_and_nothing_is_saved(client):
    resident_country = Country.objects.get(code="IN")
    household = eligible_household(resident=True, nationality=resident_country)
    sign_in(client, household.user)
    token = form_token(client.get(reverse("visas:apply")))
    response = client.post(reverse("visas:apply"), application(token, nationality=resident_country.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert "As a resident, you may not recruit a worker of your own nationality." in page
    assert "Nothing has been saved yet." in page
    assert not Visa.objects.exists() and not Bill.objects.exists()

    # the same form, corrected, goes through with the same token
    response = client.post(reverse("visas:apply"), application(token))
    assert response.status_code == 302
    assert Visa.objects.count() == 1


def test_bad_input_is_explained_in_arabic_by_default(client):
    household = eligible_household()
    sign_in(client, household.user, language=None)
    token = form_token(client.get(reverse("visas:apply")))
    response = client.post(reverse("visas:apply"), application(token, gender="", stated_income="abc"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "هذا الحقل مطلوب" in page  # Django's own "This field is required." in Arabic
    assert not Visa.objects.exists()


def test_a_rejection_by_rule_shows_the_reason(client, django_capture_on_commit_callbacks):
    household = eligible_household()
    sign_in(client, household.user)
    _response, visa = apply_over_http(client, django_capture_on_commit_callbacks)
    household.income_proofs.all().delete()  # by the time the fee is paid, the proof is gone

    visa = pay_over_http(client, django_capture_on_commit_callbacks, visa)
    assert visa.state == VisaState.REJECTED
    detail = client.get(reverse("visas:detail", args=[visa.reference])).content.decode()
    assert "Why the application was not approved" in detail
    assert "The household is not eligible for another visa" in detail
    assert visa.decision_note and "Details:" in detail and visa.decision_note in detail  # what failed
    assert "Application not approved" in detail
    assert "Cancel this visa" not in detail
    assert client.get(reverse("visas:document", args=[visa.reference])).status_code == 404
    assert client.get(reverse("visas:cancel", args=[visa.reference])).status_code == 302


def test_cancelling_shows_the_refund_and_records_it(client, django_capture_on_commit_callbacks):
    household = eligible_household()
    sign_in(client, household.user)
    _response, visa = apply_over_http(client, django_capture_on_commit_callbacks)
    visa = pay_over_http(client, django_capture_on_commit_callbacks, visa)

    confirm = client.get(reverse("visas:cancel", args=[visa.reference])).content.decode()
    assert "2,000 SAR, to the account that paid the fee" in confirm
    assert f"The fee paid, 2,000 SAR (bill {visa.bill.number}), is refunded in full" in confirm
    assert fresh(visa).state in (VisaState.ISSUED, VisaState.ACTIVATED)  # looking changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("visas:cancel", args=[visa.reference]))
    assert response["Location"] == reverse("visas:detail", args=[visa.reference])
    assert fresh(visa).state == VisaState.CANCELLED
    refund = Refund.objects.get(bill=visa.bill)
    assert refund.amount == Decimal("2000.00")

    detail = client.get(response["Location"]).content.decode()
    assert "Your visa is cancelled. 2,000 SAR will be refunded" in detail
    assert "Visa cancelled" in detail and "Fee refunded" in detail
    assert "Cancel this visa" not in detail
    # a second cancel is refused politely and refunds nothing more
    again = client.post(reverse("visas:cancel", args=[visa.reference]), follow=True)
    assert "This visa cannot be cancelled." in again.content.decode()
    assert Refund.objects.count() == 1


def test_a_delegate_with_the_visa_scope_applies_for_the_household(client, django_capture_on_commit_callbacks):
    household = eligible_household()
    delegate, delegation = make_delegate(household, DelegationScope.VISA_APPLICATIONS)
    act_for(client, delegate, delegation)

    response, visa = apply_over_http(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert visa.household == household and visa.applied_by == delegate
    detail = client.get(response["Location"]).content.decode()
    assert "Sara Delegate (delegate)" in detail


def test_a_delegate_for_something_else_is_refused(client, django_capture_on_commit_callbacks):
    household = eligible_household()
    delegate, delegation = make_delegate(household, DelegationScope.PROFILE)
    act_for(client, delegate, delegation)
    for name in ("visas:list", "visas:apply"):
        assert client.get(reverse(name)).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("visas:apply"), application("token"))
    assert response.status_code == 403
    assert not Visa.objects.exists()


def test_my_visas_reads_thirty_visas_in_a_few_queries(client, django_assert_max_num_queries):
    household = eligible_household()
    rule_set = household_rule_set()
    states = [
        VisaState.ISSUED,
        VisaState.ACTIVATED,
        VisaState.REJECTED,
        VisaState.EXPIRED,
        VisaState.UNDER_REVIEW,
    ]
    Visa.objects.bulk_create(
        Visa(
            reference=f"VA-{index:012d}",
            number=f"6{index:09d}" if states[index % 5] != VisaState.REJECTED else None,
            household=household,
            applied_by=household.user,
            occupation=occupation(),
            nationality=country("KE"),
            gender="female",
            arrival_city="JED",
            stated_income=Decimal("12000"),
            rule_set=rule_set,
            fee_amount=Decimal("2000"),
            fee_formula="Visa fee 2,000 SAR",
            state=states[index % 5],
            decision_due_at=timezone.now() + dt.timedelta(hours=5),
            valid_until=timezone.localdate() + dt.timedelta(days=700),
        )
        for index in range(30)
    )
    sign_in(client, household.user)
    client.get(reverse("households:dashboard"))  # the first request also records the new session
    with django_assert_max_num_queries(13):
        page = client.get(reverse("visas:list")).content.decode()
    assert page.count('class="card"') >= 30
    assert "Kenya" in page and "6000000001" in page


def household_rule_set():
    from musaned.policy.services import rules_in_force

    return rules_in_force(on=timezone.localdate())


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (two requests at once)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clicks_arriving_together_make_one_application(client):
    household = eligible_household()  # room for two visas: only the form's token stops a second one
    sign_in(client, household.user)
    token = form_token(client.get(reverse("visas:apply")))
    start = threading.Barrier(2)
    answers, errors = [], []

    def click():
        browser = Client()
        browser.cookies = SimpleCookie(client.cookies)  # the same browser session
        try:
            start.wait()
            answers.append(browser.post(reverse("visas:apply"), application(token)))
        except Exception as error:  # reported below, with the other click's outcome
            errors.append(error)
        finally:
            connection.close()

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()

    assert errors == []
    visa = Visa.objects.get()
    assert [answer.status_code for answer in answers] == [302, 302]
    assert {answer["Location"] for answer in answers} == {reverse("visas:detail", args=[visa.reference])}
