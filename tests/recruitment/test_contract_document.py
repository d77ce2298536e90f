"""The unified contract as printed: both parties, the Arabic and English terms, the section in the
worker's language from the ministry's template, the public check by its code, and the templates'
safety (the ministry's text can reach nothing but the contract's own plain values)."""

import io
import re
import unicodedata

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent
from recruitment import contracts
from recruitment.models import Contract, ContractTemplate, RecruitmentRequest, RequestState
from tests.accounts.support import with_totp
from tests.factories import UserFactory

from .requests_domain import (
    Steps,
    english_household,
    fresh,
    office_with_staff,
    quick_pdfs,
    signed_in,
    visa_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # the verification page counts lookups in the cache
    yield
    cache.clear()


@pytest.fixture
def steps(django_capture_on_commit_callbacks):
    return Steps(django_capture_on_commit_callbacks)


def choose(steps):
    """A household chose a Filipino housemaid: the contract is printed and sent to her."""
    household = english_household()
    office, staff = office_with_staff("Al Nakheel Recruitment", cvs=1)
    family = signed_in(household.user)
    request = steps.start(family, visa_for(household))
    steps.choose_office(family, request, office)
    cv = office.cvs.get()
    steps.send_offers(signed_in(staff), fresh(request), [cv])
    steps.select(family, fresh(request), cv)
    return household, family, office, fresh(request), Contract.objects.get(request=request)


@pytest.fixture
def printed(steps):
    """The contract printed for real (WeasyPrint)."""
    return choose(steps)


@pytest.fixture
def chosen(steps, monkeypatch):
    """The contract stored with a stand-in PDF: for what does not read the PDF itself."""
    quick_pdfs(monkeypatch)
    return choose(steps)


def pdf_text(document) -> str:
    with document.pdf.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
        text = "\n".join(page.extract_text() for page in reader.pages)
    # Shaped Arabic may come back as presentation forms: fold them to the plain letters.
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def test_the_contract_pdf_holds_both_parties_the_arabic_terms_and_the_workers_language(printed):
    household, family, office, request, contract = printed
    document = contracts.contract_document(contract)
    text = pdf_text(document)

    assert household.name_en in text and household.name_ar in text
    assert household.national_id[-4:] in text and household.national_id not in text
    assert office.name_en in text and office.cr_number in text and office.licence_number in text
    assert contract.cv.name in text
    assert "عقد العمل الموحد للعمالة المنزلية" in text and "Unified employment contract" in text
    assert "أحكام العقد" in text and "Terms of the contract" in text
    assert "Ang iyong sahod ay 1,500 Saudi riyal bawat buwan" in text  # Tagalog, from the template
    assert "Tagalog" in text
    assert "SAR 12,000" in text and "SAR 13,800" in text  # the price and the total with 15% VAT
    assert f"{request.reference}-1" in text
    assert document.kind == "contract" and document.language == "ar" and document.sha256


def test_the_household_downloads_it_and_anyone_checks_it_by_its_code(chosen):
    household, family, office, request, contract = chosen
    download = family.get(reverse("requests:contract_pdf", args=[request.reference]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert "attachment" in download["Content-Disposition"]

    document = contracts.contract_document(contract)
    check = Client()
    check.cookies["django_language"] = "en"
    page = check.get(reverse("documents:verify", args=[document.code])).content.decode()
    assert "Valid: waiting for the worker" in page and household.name_en in page
    assert household.national_id not in page and contract.cv.passport_number not in page

    Contract.objects.filter(pk=contract.pk).update(worker_declined_at=contract.created_at)
    page = check.get(reverse("documents:verify", args=[document.code])).content.decode()
    assert "Declined by the worker" in page

    Contract.objects.filter(pk=contract.pk).update(
        worker_declined_at=None, worker_accepted_at=contract.created_at
    )
    assert "status good" in check.get(reverse("documents:verify", args=[document.code])).content.decode()
    RecruitmentRequest.objects.filter(pk=request.pk).update(state=RequestState.CANCELLED)
    assert "Cancelled" in check.get(reverse("documents:verify", args=[document.code])).content.decode()


def test_a_language_without_a_template_falls_back_to_english(chosen):
    household, family, office, request, contract = chosen
    Contract.objects.filter(pk=contract.pk).update(worker_language="am")
    section = contracts.worker_section(Contract.objects.get(pk=contract.pk))
    assert section["language"] == "en" and "Your wage is 1,500 Saudi riyals a month" in section["text"]


def test_the_ministry_adds_a_language_in_the_admin(chosen):
    household, family, office, request, contract = chosen
    admin = with_totp(UserFactory(is_staff=True, is_superuser=True))
    client = signed_in(admin)
    body = "{{ worker_name }}: mshahara wako ni riyal {{ salary }} kwa mwezi, kwa miezi {{ months }}."
    answer = client.post(
        reverse("admin:recruitment_contracttemplate_add"),
        {
            "language": "sw",
            "language_name": "Kiswahili",
            "direction": "ltr",
            "active": "on",
            "body": body,
            "labels": '{"accept": "Ninakubali mkataba huu"}',
        },
    )
    assert answer.status_code == 302 and answer.url == reverse(
        "admin:recruitment_contracttemplate_changelist"
    )
    assert AuditEvent.objects.filter(action="contract_template.saved", actor=admin).exists()
    Contract.objects.filter(pk=contract.pk).update(worker_language="sw")
    contract = Contract.objects.get(pk=contract.pk)
    assert (
        contracts.worker_section(contract)["text"]
        == f"{contract.cv.name}: mshahara wako ni riyal 1,500 kwa mwezi, kwa miezi 24."
    )
    assert contracts.worker_labels(contract)["accept"] == "Ninakubali mkataba huu"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{% load static %}{{ worker_name }}", "cannot be read as a template"),
        ('{% include "base.html" %}', "cannot be read as a template"),
        ("{{ worker_name.office.bank_guarantee_amount }}", "Unknown placeholders"),
        ("{{ settings.SECRET_KEY }}", "Unknown placeholders"),
        ("{% if salary %}{{ salary }", "cannot be read as a template"),
    ],
)
def test_a_template_reaching_beyond_its_placeholders_is_refused(body, message):
    admin = UserFactory(is_staff=True, is_superuser=True)
    template = ContractTemplate(language="sw", language_name="Kiswahili", body=body)
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        contracts.contract_template_save(actor=Actor.direct(admin), template=template)
    assert not ContractTemplate.objects.filter(language="sw").exists()


def test_only_the_ministry_edits_templates():
    clerk = UserFactory()
    template = ContractTemplate.objects.get(language="tl")
    with pytest.raises(PermissionDenied):
        contracts.contract_template_save(actor=Actor.direct(clerk), template=template)


def test_the_text_escapes_what_the_values_hold(chosen):
    household, family, office, request, contract = chosen
    contract.cv.name = '<script>alert("x")</script>'
    assert "<script>" not in contracts.render_sandboxed(
        "{{ worker_name }}", contracts.placeholder_values(contract)
    )
