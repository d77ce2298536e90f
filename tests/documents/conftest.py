import pytest
from django.core.cache import cache

SAMPLE_TEMPLATE = "documents/sample_visa.html"
VISA_NUMBER = "4071938265"
EMPLOYER_AR = "محمد عبدالله القحطاني"
OCCUPATION_AR = "عاملة منزلية"


@pytest.fixture(autouse=True)
def _site_and_cache(settings):
    settings.SITE_URL = "https://musaned.example"
    cache.clear()  # the lookup throttle counts in the cache
    yield
    cache.clear()


def visa_statement(
    *, visa_number: str = VISA_NUMBER, employer_en: str = "Mohammed Abdullah Alqahtani"
) -> dict:
    return {
        "title": {"ar": "تأشيرة عمالة منزلية", "en": "Domestic worker visa"},
        "facts": [
            {"label": {"ar": "رقم التأشيرة", "en": "Visa number"}, "value": visa_number},
            {
                "label": {"ar": "صاحب العمل", "en": "Employer"},
                "value": {"ar": EMPLOYER_AR, "en": employer_en},
            },
            {
                "label": {"ar": "المهنة", "en": "Occupation"},
                "value": {"ar": OCCUPATION_AR, "en": "Housemaid"},
            },
            {
                "label": {"ar": "الجنسية", "en": "Nationality"},
                "value": {"ar": "الفلبين", "en": "Philippines"},
            },
        ],
    }


@pytest.fixture
def issue_visa_document():
    """Issue the sample visa about `subject` through the service, as the visa app will."""
    from musaned.documents.services import document_issue

    def issue(subject, *, valid_until=None, **statement_kwargs):
        return document_issue(
            subject=subject,
            kind="visa",
            template=SAMPLE_TEMPLATE,
            context={"visa_number": statement_kwargs.get("visa_number", VISA_NUMBER)},
            statement=visa_statement(**statement_kwargs),
            valid_until=valid_until,
        )

    return issue
