import datetime as dt
import hashlib
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext_lazy

from musaned.accounts.models import AuditEvent
from musaned.documents.models import Document
from musaned.documents.services import document_issue, document_verify, normalise_statement
from tests.factories import HouseholdFactory

from .conftest import SAMPLE_TEMPLATE, visa_statement

pytestmark = pytest.mark.django_db


def test_issuing_the_same_statement_again_returns_the_stored_version(issue_visa_document):
    household = HouseholdFactory()

    first = issue_visa_document(household)
    again = issue_visa_document(household)  # e.g. the task was delivered twice

    assert again.pk == first.pk
    assert Document.objects.count() == 1
    assert first.version == 1
    assert AuditEvent.objects.filter(action="document.issued").count() == 1


def test_a_changed_statement_is_a_new_version_with_its_own_code(issue_visa_document):
    household = HouseholdFactory()

    first = issue_visa_document(household)
    corrected = issue_visa_document(household, employer_en="Mohammed A. Alqahtani")

    assert corrected.version == 2
    assert corrected.code != first.code
    assert Document.objects.filter(kind="visa").count() == 2


def test_versions_are_counted_per_subject(issue_visa_document):
    one, other = HouseholdFactory(), HouseholdFactory()

    assert issue_visa_document(one).version == 1
    assert issue_visa_document(other).version == 1


def test_the_stored_pdf_matches_its_hash_and_size(issue_visa_document):
    document = issue_visa_document(HouseholdFactory())

    with document.pdf.open("rb") as stored:
        data = stored.read()
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == document.sha256
    assert len(data) == document.size


def test_each_version_gets_its_own_long_random_code(issue_visa_document):
    household = HouseholdFactory()
    codes = {issue_visa_document(household, visa_number=str(4071938265 + n)).code for n in range(3)}

    assert len(codes) == 3
    for code in codes:
        assert len(code) >= 22  # at least 16 random bytes in URL-safe base64
        assert document_verify(code=code).code == code


def test_verify_ignores_spaces_and_rejects_malformed_codes(issue_visa_document):
    document = issue_visa_document(HouseholdFactory())
    spaced = " ".join(document.code[i : i + 4] for i in range(0, len(document.code), 4))

    assert document_verify(code=spaced) == document
    assert document_verify(code="../../etc/passwd") is None
    assert document_verify(code="short") is None


def test_statements_are_stored_as_plain_text_in_every_language():
    statement = normalise_statement(
        {
            "title": {"ar": "إيصال", "en": "Receipt"},
            "facts": [
                {"label": gettext_lazy("Amount"), "value": 2000},
                {"label": {"ar": "التاريخ", "en": "Date"}, "value": dt.date(2026, 3, 5)},
            ],
        }
    )

    assert statement["facts"][0]["value"] == {"ar": "2000", "en": "2000"}
    assert statement["facts"][1]["value"]["en"] == "16 Ramadan 1447 AH (5 March 2026)"
    assert statement["facts"][1]["value"]["ar"].startswith("16 رمضان 1447")
    with translation.override("en"):
        assert statement["facts"][0]["label"]["en"] == "Amount"


def test_a_statement_missing_a_language_is_refused_before_anything_is_stored():
    household = HouseholdFactory()
    statement = visa_statement()
    statement["facts"][1]["value"] = {"ar": "محمد"}

    with pytest.raises(ValueError):
        document_issue(
            subject=household, kind="visa", template=SAMPLE_TEMPLATE, context={}, statement=statement
        )
    assert not Document.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (bash .ci/run)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_issuing_the_same_document_at_once_store_one_row(settings, issue_visa_document):
    household = HouseholdFactory()
    start = threading.Barrier(2)
    issued, errors = [], []

    def worker():
        try:
            start.wait()
            issued.append(issue_visa_document(household).pk)
        except Exception as error:  # reported below, with the other worker's outcome
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(issued)) == 1
    assert Document.objects.count() == 1
    stored = list(Path(settings.STORAGES["private"]["OPTIONS"]["location"]).rglob("*.pdf"))
    assert len(stored) == 1  # the loser's file was removed
