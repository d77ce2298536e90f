"""The office reports its steps in order, with dates and documents; the household and worker hear of them."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from musaned.notifications.models import Message, Notification
from recruitment.models import Milestone, MilestoneKind

from .delivery_support import WORKER_PHONE, paid_case, pdf_upload, quick_pdfs, report_up_to, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_pdfs(monkeypatch):
    quick_pdfs(monkeypatch)


def post_step(client, case, kind, occurred_on, document=None):
    data = {
        "kind": kind,
        "occurred_on_calendar": "gregorian",
        "occurred_on": occurred_on.isoformat(),
        "note": "All good",
    }
    if document is not None:
        data["document"] = document
    return client.post(case.url("milestone_report"), data)


def test_the_office_reports_the_steps_in_order_with_a_document_the_household_can_open(
    django_capture_on_commit_callbacks,
):
    case = paid_case(django_capture_on_commit_callbacks)
    office = signed_in(case.staff)
    form = office.get(case.url("milestone_report")).content.decode()
    assert 'value="mofa_authorisation" selected' in form

    with django_capture_on_commit_callbacks(execute=True):
        response = post_step(office, case, "mofa_authorisation", timezone.localdate(), pdf_upload())

    assert response.url == case.url()
    milestone = Milestone.objects.get(request=case.request)
    assert milestone.kind == MilestoneKind.MOFA_AUTHORISATION and milestone.reported_by == case.staff
    assert milestone.document_type == "application/pdf"
    notice = Notification.objects.get(recipient=case.household.user, event="delivery_milestone")
    assert "Foreign-ministry authorisation" in notice.body

    household = signed_in(case.household.user)
    page = household.get(case.url()).content.decode()
    assert "Foreign-ministry authorisation" in page and "Noura Staff" in page
    download = household.get(case.url("milestone_document", milestone.pk))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_step_out_of_order_is_refused_and_nothing_is_saved(django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)

    response = post_step(signed_in(case.staff), case, "embassy_stamping", timezone.localdate())

    assert response.status_code == 200
    assert (
        "Report the steps in order: the next step is “Foreign-ministry authorisation”."
        in response.content.decode()
    )
    assert not Milestone.objects.exists()


@pytest.mark.parametrize(
    ("days", "message"),
    [(1, "The date cannot be in the future."), (-3, "The date cannot be before the payment")],
)
def test_a_date_in_the_future_or_before_payment_is_refused(django_capture_on_commit_callbacks, days, message):
    case = paid_case(django_capture_on_commit_callbacks)

    response = post_step(
        signed_in(case.staff), case, "mofa_authorisation", timezone.localdate() + dt.timedelta(days=days)
    )

    assert message in response.content.decode()
    assert not Milestone.objects.exists()


def test_a_document_that_is_not_a_pdf_or_an_image_is_refused(django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)
    fake_pdf = SimpleUploadedFile("stamp.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")

    response = post_step(signed_in(case.staff), case, "mofa_authorisation", timezone.localdate(), fake_pdf)

    assert "Upload a PDF, JPEG or PNG file." in response.content.decode()
    assert not Milestone.objects.exists()


def test_a_step_reported_twice_is_refused(django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)
    report_up_to(case, django_capture_on_commit_callbacks, MilestoneKind.MOFA_AUTHORISATION)

    response = post_step(signed_in(case.staff), case, "mofa_authorisation", timezone.localdate())

    assert "This step has already been reported." in response.content.decode()
    assert Milestone.objects.count() == 1


def test_the_worker_gets_a_text_when_her_departure_is_reported(django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)

    report_up_to(case, django_capture_on_commit_callbacks, MilestoneKind.DEPARTED)

    texts = Message.objects.filter(to=WORKER_PHONE)
    assert texts.count() == 1 and case.reference in texts.get().body


@pytest.mark.parametrize(
    ("language", "words"),
    [("id", "keberangkatan Anda"), ("tl", "naitala na ang iyong pag-alis"), ("en", "your departure")],
)
def test_the_departure_text_is_in_the_workers_language(language, words, django_capture_on_commit_callbacks):
    case = paid_case(django_capture_on_commit_callbacks)
    case.contract.worker_language = language
    case.contract.save(update_fields=["worker_language"])

    report_up_to(case, django_capture_on_commit_callbacks, MilestoneKind.DEPARTED)

    text = Message.objects.get(to=WORKER_PHONE).body
    assert words in text and case.reference in text
