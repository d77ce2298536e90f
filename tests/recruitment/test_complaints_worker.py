"""The worker complains from the link she received with her contract: no account, her own language where
the site speaks it, and her complaint is never shown to the employer."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from musaned.notifications.models import Message
from recruitment.complaint_selectors import is_disputed, open_complaints
from recruitment.models import Complaint, ComplaintState, RequestState

from .complaint_cases import PDF, WORKER_PHONE, client_for, contract_of, make_case, office_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return make_case(state=RequestState.ARRIVED)


@pytest.fixture
def worker_url(case):
    return reverse("complaints:worker", args=[contract_of(case).worker_token])


def worker_files(client, url, capture, **extra):
    with capture(execute=True):
        return client.post(
            url,
            {
                "category": "worker_management",
                "description": "I have not been paid for two months.",
                "attachments": [SimpleUploadedFile("payslip.pdf", PDF, content_type="application/pdf")],
                **extra,
            },
        )


def test_the_worker_files_a_complaint_through_her_link(case, worker_url, django_capture_on_commit_callbacks):
    client = client_for(None)
    page = client.get(worker_url)
    assert page.status_code == 200 and "Your employer does not see your complaints" in page.content.decode()

    response = worker_files(client, worker_url, django_capture_on_commit_callbacks)

    assert response.url == worker_url
    complaint = Complaint.objects.get()
    assert complaint.by_worker and complaint.filed_by is None and complaint.state == ComplaintState.OPEN
    assert complaint.attachments.get().original_name == "payslip.pdf"
    assert "I have not been paid" in client.get(worker_url).content.decode()


def test_the_employer_never_sees_the_workers_complaint(case, worker_url, django_capture_on_commit_callbacks):
    worker_files(client_for(None), worker_url, django_capture_on_commit_callbacks)
    complaint = Complaint.objects.get()
    household = client_for(case.household.user)

    assert "I have not been paid" not in household.get(reverse("complaints:mine")).content.decode()
    assert household.get(reverse("complaints:detail", args=[complaint.pk])).status_code == 404
    attachment = complaint.attachments.get()
    assert household.get(reverse("complaints:attachment", args=[attachment.pk])).status_code == 404
    assert not is_disputed(case) and list(open_complaints(case, include_worker=True)) == [complaint]


def test_the_office_answers_the_worker_by_sms_and_she_escalates(
    case, worker_url, django_capture_on_commit_callbacks
):
    client = client_for(None)
    worker_files(client, worker_url, django_capture_on_commit_callbacks)
    complaint = Complaint.objects.get()
    staff = client_for(office_staff(case.office))
    assert "by the worker" in staff.get(reverse("complaints:office_list")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("complaints:office_detail", args=[complaint.pk]), {"text": "Your salary is paid."})

    sms = Message.objects.get(channel="sms", to=WORKER_PHONE)
    assert "The office answered your complaint" in sms.body and worker_url in sms.body
    assert "Your salary is paid." in client.get(worker_url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("complaints:worker_escalate", args=[contract_of(case).worker_token, complaint.pk])
        )

    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ESCALATED
    assert Message.objects.filter(channel="sms", to=WORKER_PHONE, body__contains="with the ministry").exists()


def office_answers(case, capture, text="Your salary is paid."):
    complaint = Complaint.objects.get()
    with capture(execute=True):
        client_for(office_staff(case.office)).post(
            reverse("complaints:office_detail", args=[complaint.pk]), {"text": text}
        )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("tl", "Sinagot na ng recruitment office ang iyong reklamo"),
        ("id", "Kantor perekrutan telah menjawab pengaduan Anda"),
        ("ar", "ردّ المكتب على شكواك"),
        # A language no text is written in yet: English.
        ("am", "The office answered your complaint"),
    ],
)
def test_the_text_to_the_worker_is_in_her_own_language(
    case, worker_url, language, words, django_capture_on_commit_callbacks
):
    contract = contract_of(case)
    contract.worker_language = language
    contract.save(update_fields=["worker_language"])
    worker_files(client_for(None), worker_url, django_capture_on_commit_callbacks)

    office_answers(case, django_capture_on_commit_callbacks)

    sms = Message.objects.get(channel="sms", to=WORKER_PHONE)
    assert words in sms.body and sms.body.endswith(worker_url)


def test_the_worker_accepts_the_answer(case, worker_url, django_capture_on_commit_callbacks):
    client = client_for(None)
    worker_files(client, worker_url, django_capture_on_commit_callbacks)
    complaint = Complaint.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(office_staff(case.office)).post(
            reverse("complaints:office_detail", args=[complaint.pk]), {"text": "Paid today."}
        )
        client.post(reverse("complaints:worker_resolve", args=[contract_of(case).worker_token, complaint.pk]))
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.RESOLVED


def test_the_household_cannot_act_on_the_workers_complaint(
    case, worker_url, django_capture_on_commit_callbacks
):
    worker_files(client_for(None), worker_url, django_capture_on_commit_callbacks)
    complaint = Complaint.objects.get()
    household = client_for(case.household.user)
    assert household.post(reverse("complaints:escalate", args=[complaint.pk])).status_code == 404
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.OPEN


def test_one_workers_link_cannot_reach_anothers_complaint(
    case, worker_url, django_capture_on_commit_callbacks
):
    worker_files(client_for(None), worker_url, django_capture_on_commit_callbacks)
    complaint = Complaint.objects.get()
    other_token = contract_of(make_case(state=RequestState.IN_PROCESS)).worker_token

    response = client_for(None).post(reverse("complaints:worker_escalate", args=[other_token, complaint.pk]))

    assert response.status_code == 404
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.OPEN


@pytest.mark.parametrize("token", ["not-a-real-token-but-long-enough-to-look-like-one", "short", "x" * 200])
def test_an_unknown_link_is_not_found(case, token):
    assert client_for(None).get(reverse("complaints:worker", args=[token])).status_code == 404


def test_a_declined_contract_takes_no_complaint(case, worker_url, django_capture_on_commit_callbacks):
    contract = contract_of(case)
    contract.worker_declined_at = timezone.now()
    contract.save(update_fields=["worker_declined_at"])
    client = client_for(None)

    assert "no longer in force" in client.get(worker_url).content.decode()
    response = worker_files(client, worker_url, django_capture_on_commit_callbacks)

    assert response.status_code == 200 and not Complaint.objects.exists()


def test_after_the_case_closed_the_link_takes_no_complaint(django_capture_on_commit_callbacks):
    case = make_case(state=RequestState.CLOSED)
    url = reverse("complaints:worker", args=[contract_of(case).worker_token])
    response = worker_files(client_for(None), url, django_capture_on_commit_callbacks)
    assert "while the contract is in force" in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_page_speaks_the_workers_language_when_the_site_does(django_capture_on_commit_callbacks):
    case = make_case(state=RequestState.IN_PROCESS)
    contract = contract_of(case)
    contract.worker_language = "ar"
    contract.save(update_fields=["worker_language"])
    client = client_for(None)  # the browser's cookie says English; the worker's page follows her language

    page = client.get(reverse("complaints:worker", args=[contract.worker_token])).content.decode()

    assert 'lang="ar"' in page and 'dir="rtl"' in page


def test_a_worker_language_the_site_lacks_falls_back_to_english():
    case = make_case(state=RequestState.IN_PROCESS)
    contract = contract_of(case)
    contract.worker_language = "tl"
    contract.save(update_fields=["worker_language"])
    client = client_for(None)
    client.cookies["django_language"] = "ar"

    page = client.get(reverse("complaints:worker", args=[contract.worker_token])).content.decode()

    assert 'lang="en"' in page and "File a complaint" in page


def test_the_worker_may_escalate_once_the_office_lets_its_deadline_pass(
    case, worker_url, monkeypatch, django_capture_on_commit_callbacks
):
    client = client_for(None)
    worker_files(client, worker_url, django_capture_on_commit_callbacks)
    complaint = Complaint.objects.get()
    assert "Pass it to the ministry" not in client.get(worker_url).content.decode()

    later = complaint.response_due_at + dt.timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert "Pass it to the ministry" in client.get(worker_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("complaints:worker_escalate", args=[contract_of(case).worker_token, complaint.pk])
        )
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ESCALATED
