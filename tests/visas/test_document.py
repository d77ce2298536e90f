"""The printed visa: what the PDF says, and what anyone checking its code is told (and not told)."""

import io
import re
import unicodedata

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from musaned.accounts.actor import Actor
from musaned.documents.models import Document
from visas import services
from visas.tasks import visa_render_document

from .visa_domain import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # the verification page counts lookups in the cache
    yield
    cache.clear()


def pdf_text(document: Document) -> str:
    with document.pdf.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
        text = "\n".join(page.extract_text() for page in reader.pages)
    # Shaped Arabic may come back as presentation forms: fold them to the plain letters.
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def visa_document(visa) -> Document:
    return Document.objects.get(kind="visa", subject_id=str(visa.pk))


@pytest.fixture
def issued(household, apply, pay):
    return pay(apply(household))


def test_the_visa_pdf_holds_the_number_and_the_arabic_text(issued, household):
    document = visa_document(issued)
    text = pdf_text(document)

    assert issued.number in text
    assert "تأشيرة عمالة منزلية" in text
    assert "Domestic worker visa" in text
    assert household.name_ar in text and household.name_en in text
    assert "عاملة منزلية" in text and "الفلبين" in text
    assert household.national_id[-4:] in text and household.national_id not in text
    assert "Riyadh (King Khalid International Airport)" in text
    assert str(issued.valid_until.year) in text
    assert document.valid_until == issued.valid_until
    assert document.sha256 and document.size == document.pdf.size


@pytest.mark.usefixtures("quick_pdfs")
def test_the_visa_is_stored_once_per_version(issued):
    visa_render_document.delay(issued.pk)
    visa_render_document.delay(issued.pk)

    assert Document.objects.filter(kind="visa", subject_id=str(issued.pk)).count() == 1


@pytest.mark.usefixtures("quick_pdfs")  # the page reads the stored statement, not the PDF
def test_the_verification_page_of_a_valid_visa_shows_only_what_it_states(client, issued, household):
    document = visa_document(issued)
    client.cookies["django_language"] = "en"

    page = client.get(reverse("documents:verify", args=[document.code])).content.decode()

    assert '<span class="status good">Valid</span>' in page and issued.number in page
    assert household.national_id not in page
    for private in (household.mobile, household.user.email, issued.reference, "12,000", "2,000"):
        assert private not in page


@pytest.mark.usefixtures("quick_pdfs")  # the page reads the stored statement, not the PDF
def test_the_verification_page_of_a_cancelled_visa_says_so(
    client, issued, household, django_capture_on_commit_callbacks
):
    document = visa_document(issued)
    with django_capture_on_commit_callbacks(execute=True):
        services.visa_cancel(actor=Actor.direct(household.user), visa=issued)
    client.cookies["django_language"] = "en"

    page = client.get(reverse("documents:verify", args=[document.code])).content.decode()

    assert '<span class="status bad">Cancelled</span>' in page
    assert issued.number in page  # what the paper states, and that it no longer holds


@pytest.mark.usefixtures("quick_pdfs")  # the page reads the stored statement, not the PDF
def test_an_expired_visa_says_so(client, issued):
    document = visa_document(issued)
    services.visa_expire_due(today=issued.valid_until + timezone.timedelta(days=1))
    client.cookies["django_language"] = "en"

    page = client.get(reverse("documents:verify", args=[document.code])).content.decode()

    assert '<span class="status bad">Expired</span>' in page and fresh(issued).state == "expired"


@pytest.mark.usefixtures("quick_pdfs")  # the page reads the stored statement, not the PDF
def test_codes_cannot_be_guessed(client, issued):
    document = visa_document(issued)

    assert len(document.code) >= 24
    assert client.get(reverse("documents:verify", args=[document.code[:-1] + "x"])).status_code == 404
    assert client.get(reverse("documents:verify", args=[issued.number])).status_code == 404
