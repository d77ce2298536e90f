import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.models import User
from tests.factories import HouseholdFactory

from .conftest import EMPLOYER_AR, OCCUPATION_AR, VISA_NUMBER

pytestmark = pytest.mark.django_db


def verify_url(document) -> str:
    return reverse("documents:verify", kwargs={"code": document.code})


def test_the_page_shows_what_the_document_states_in_arabic_by_default(client, issue_visa_document):
    document = issue_visa_document(HouseholdFactory())

    response = client.get(verify_url(document))

    page = response.content.decode()
    assert response.status_code == 200
    assert "تأشيرة عمالة منزلية" in page
    assert VISA_NUMBER in page
    assert EMPLOYER_AR in page
    assert OCCUPATION_AR in page
    assert "Housemaid" not in page
    assert 'class="status good"' in page


def test_the_page_shows_the_statement_in_english_when_english_is_chosen(client, issue_visa_document):
    document = issue_visa_document(HouseholdFactory())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(verify_url(document)).content.decode()

    assert "Domestic worker visa" in page
    assert "Mohammed Abdullah Alqahtani" in page
    assert "Housemaid" in page
    assert OCCUPATION_AR not in page
    assert "Valid" in page


def test_nothing_but_the_statement_is_shown(client, issue_visa_document):
    household = HouseholdFactory()
    document = issue_visa_document(household)

    page = client.get(verify_url(document)).content.decode()

    for private in (household.national_id, household.mobile, household.user.email, household.street):
        assert private not in page
    assert document.sha256 not in page
    assert ".pdf" not in page  # no way to download the document from here


def test_an_unknown_code_gets_the_neutral_not_found_page(client, issue_visa_document):
    issue_visa_document(HouseholdFactory())

    unknown = client.get(reverse("documents:verify", kwargs={"code": "A" * 24}))
    malformed = client.get("/verify/not%20a%20code!/")

    assert unknown.status_code == 404
    assert malformed.status_code == 404
    assert unknown.content.decode().count(EMPLOYER_AR) == 0
    assert unknown.templates[0].name == malformed.templates[0].name == "documents/verify_not_found.html"


def test_an_expired_document_says_so(client, issue_visa_document):
    document = issue_visa_document(
        HouseholdFactory(), valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(verify_url(document)).content.decode()

    assert "Expired" in page
    assert 'class="status bad"' in page


def test_a_document_still_in_its_validity_is_valid(client, issue_visa_document):
    document = issue_visa_document(
        HouseholdFactory(), valid_until=timezone.localdate() + dt.timedelta(days=30)
    )

    page = client.get(verify_url(document)).content.decode()

    assert 'class="status good"' in page


def test_the_subject_can_cancel_its_documents(client, monkeypatch, issue_visa_document):
    # Records that can be cancelled (a visa) say so through `document_status`; here a user account does.
    monkeypatch.setattr(
        User,
        "document_status",
        lambda account, document: (True, "Valid") if account.is_active else (False, "Cancelled"),
        raising=False,
    )
    account = User.objects.create(email="holder@example.sa")
    document = issue_visa_document(account)
    assert 'class="status good"' in client.get(verify_url(document)).content.decode()

    account.is_active = False
    account.save()
    page = client.get(verify_url(document)).content.decode()

    assert "Cancelled" in page
    assert 'class="status bad"' in page


def test_an_older_version_shows_it_was_replaced(client, issue_visa_document):
    household = HouseholdFactory()
    old = issue_visa_document(household)
    issue_visa_document(household, employer_en="Mohammed A. Alqahtani")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(verify_url(old)).content.decode()

    assert "Replaced by a newer version" in page
    assert 'class="status bad"' in page


def test_lookups_are_limited_per_address(client, settings, issue_visa_document):
    settings.DOCUMENTS_VERIFY_LOOKUPS_PER_MINUTE = 3
    document = issue_visa_document(HouseholdFactory())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    statuses = [
        client.get(reverse("documents:verify", kwargs={"code": f"{n:024d}"})).status_code for n in range(3)
    ]
    blocked = client.get(verify_url(document))
    other_address = client.get(verify_url(document), REMOTE_ADDR="10.0.0.7")

    assert statuses == [404, 404, 404]
    assert blocked.status_code == 429
    assert "Please wait a minute" in blocked.content.decode()
    assert VISA_NUMBER not in blocked.content.decode()
    assert other_address.status_code == 200


def test_the_form_sends_a_typed_code_to_its_page(client, issue_visa_document):
    document = issue_visa_document(HouseholdFactory())
    typed = " ".join(document.code[i : i + 4] for i in range(0, len(document.code), 4))

    response = client.get(reverse("documents:verify_form"), {"code": typed})

    assert response.status_code == 302
    assert response["Location"] == verify_url(document)


def test_the_form_explains_a_code_that_cannot_be_one(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    empty = client.get(reverse("documents:verify_form"))
    wrong = client.get(reverse("documents:verify_form"), {"code": "<script>"})

    assert empty.status_code == 200
    assert "This is not a verification code" in wrong.content.decode()


def test_the_check_needs_no_sign_in(client, issue_visa_document):
    document = issue_visa_document(HouseholdFactory())

    assert client.get(verify_url(document)).status_code == 200
    assert client.get(reverse("documents:verify_form")).status_code == 200
