"""The worker's pages: her contract in her own language by her link, her answer, and what the link says
once she has answered or her time has passed."""

import pytest
from django.test import Client
from django.urls import reverse

from recruitment.models import Contract, ContractTemplate, RequestState

from .requests_domain import (
    Steps,
    english_household,
    fresh,
    later,
    office_with_staff,
    quick_pdfs,
    signed_in,
    visa_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stand_in_pdfs(monkeypatch):
    quick_pdfs(monkeypatch)


@pytest.fixture
def steps(django_capture_on_commit_callbacks):
    return Steps(django_capture_on_commit_callbacks)


@pytest.fixture
def contract(steps):
    """The household chose a Filipino housemaid (contract language Tagalog); she has not answered."""
    household = english_household()
    office, staff = office_with_staff("Al Nakheel Recruitment", cvs=2)
    family = signed_in(household.user)
    request = steps.start(family, visa_for(household))
    steps.choose_office(family, request, office)
    cvs = list(office.cvs.order_by("pk"))
    steps.send_offers(signed_in(staff), fresh(request), cvs)
    steps.select(family, fresh(request), cvs[0])
    return Contract.objects.get(request=request)


def page_of(contract, client=None):
    return (client or Client()).get(reverse("worker:contract", args=[contract.worker_token]))


def test_she_reads_her_contract_in_tagalog_then_the_arabic_and_english_terms(contract):
    answer = page_of(contract)
    page = answer.content.decode()
    assert answer.status_code == 200 and answer["Cache-Control"].startswith("max-age=0")
    assert 'lang="tl"' in page
    assert "Ang iyong kontrata sa trabaho" in page and "Tinatanggap ko ang kontratang ito" in page
    assert "Ang iyong sahod ay 1,500 Saudi riyal bawat buwan" in page
    assert page.index("Ang iyong sahod") < page.index("أحكام العقد") < page.index("Terms of the contract")
    assert "I-download ang kontrata (PDF)" in page
    assert contract.request.household.national_id not in page


def test_without_a_translation_of_the_page_she_reads_english(contract):
    ContractTemplate.objects.filter(language="tl").update(labels={})
    page = page_of(contract).content.decode()
    assert "Your work contract" in page and "I accept this contract" in page
    assert "Ang iyong sahod ay" in page  # the contract's own text is still in Tagalog


def test_she_accepts(contract, steps):
    assert steps.worker(contract, "accept").status_code == 302
    assert fresh(contract.request).state == RequestState.AWAITING_PAYMENT
    page = page_of(contract).content.decode()
    assert "Tinanggap mo ang kontratang ito noong" in page and "Tinatanggap ko" not in page
    assert Client().get(reverse("worker:contract_pdf", args=[contract.worker_token])).status_code == 200
    accepted_at = fresh_contract(contract).worker_accepted_at
    steps.worker(contract, "accept")  # again: nothing changes
    assert fresh_contract(contract).worker_accepted_at == accepted_at


def fresh_contract(contract):
    return Contract.objects.get(pk=contract.pk)


def test_she_declines_and_the_link_then_says_it_is_closed(contract, steps):
    steps.worker(contract, "decline", reason="Ayaw ko po.")
    assert fresh(contract.request).state == RequestState.OFFERS_SENT
    answer = page_of(contract)
    assert answer.status_code == 410 and "Tinanggihan mo ang kontratang ito" in answer.content.decode()
    assert Client().get(reverse("worker:contract_pdf", args=[contract.worker_token])).status_code == 404
    steps.worker(contract, "accept")
    assert fresh(contract.request).state == RequestState.OFFERS_SENT
    assert fresh_contract(contract).worker_accepted_at is None


def test_a_reason_too_long_is_refused_and_nothing_changes(contract, steps):
    answer = steps.worker(contract, "decline", reason="x" * 501)
    assert answer.status_code == 400 and "hindi hihigit sa 500 titik" in answer.content.decode()
    assert fresh(contract.request).state == RequestState.AWAITING_WORKER
    assert fresh_contract(contract).worker_declined_at is None


def test_after_her_deadline_the_link_has_expired(contract, steps, monkeypatch):
    later(monkeypatch, days=5, minutes=1)
    answer = page_of(contract)
    assert answer.status_code == 410 and "Lumipas na ang oras" in answer.content.decode()
    steps.worker(contract, "accept")
    assert fresh(contract.request).state == RequestState.AWAITING_WORKER  # the timer will decline for her
    assert fresh_contract(contract).worker_accepted_at is None


def test_the_page_is_arabic_for_an_arabic_speaker_and_english_for_others(contract):
    assert '<html lang="en" dir="ltr">' in page_of(contract).content.decode()
    Contract.objects.filter(pk=contract.pk).update(worker_language="ar")
    assert '<html lang="ar" dir="rtl">' in page_of(fresh_contract(contract)).content.decode()
