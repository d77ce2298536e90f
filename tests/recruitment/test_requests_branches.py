"""The other ways a request goes: a named worker, a late office, turned-down offers, a worker who declines
or stays silent, a visa that is refused, and bad input that must change nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from musaned.accounts.actor import Actor
from musaned.notifications.models import Message, Notification
from recruitment.models import (
    Contract,
    Offer,
    OfferState,
    OfficeAssignment,
    RecruitmentRequest,
    RequestState,
    WorkerCV,
)
from recruitment.requests import offer_send
from recruitment.requests_tasks import requests_sweep
from tests.factories import WorkerCVFactory
from visas.models import Visa, VisaState

from .requests_domain import (
    Steps,
    english_household,
    fresh,
    later,
    office_task,
    office_with_staff,
    open_tasks,
    quick_pdfs,
    signed_in,
    task_url,
    visa_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stand_in_pdfs(monkeypatch):
    quick_pdfs(monkeypatch)


@pytest.fixture
def steps(django_capture_on_commit_callbacks):
    return Steps(django_capture_on_commit_callbacks)


NAMED = {
    "mode": "named",
    "named_worker_name": "Siti Rahayu",
    "named_worker_passport": "c4512398",
    "named_worker_phone": "+6281234567890",
}


@pytest.fixture
def case(steps):
    """A household whose request is with an office that has three matching CVs."""
    household = english_household()
    office, staff = office_with_staff("Al Nakheel Recruitment", cvs=3)
    family = signed_in(household.user)
    request = steps.start(family, visa_for(household))
    steps.choose_office(family, request, office)
    return household, family, office, staff, fresh(request)


@pytest.fixture
def offered(case, steps):
    """The same, with two offers sent."""
    household, family, office, staff, request = case
    cvs = list(office.cvs.order_by("pk"))[:2]
    assert steps.send_offers(signed_in(staff), request, cvs).status_code == 302
    return household, family, office, staff, fresh(request), cvs


def test_a_named_worker_is_checked_then_offered_exactly(steps):
    household = english_household()
    visa = visa_for(household, country="ID")
    office, staff = office_with_staff("Jakarta Link Recruitment", cvs=0)
    office.prices.update(nationality=visa.nationality)
    family = signed_in(household.user)
    expiring = (timezone.localdate() + dt.timedelta(days=200)).isoformat()

    answer = steps.post(
        family,
        reverse("requests:start", args=[visa.reference]),
        {**NAMED, "named_worker_passport_expiry": expiring, "named_worker_phone": "0812"},
    )
    page = answer.content.decode()
    assert answer.status_code == 200 and "The passport must be valid for more than 24 months" in page
    assert "with its country code" in page and not RecruitmentRequest.objects.exists()

    valid = (timezone.localdate() + dt.timedelta(days=5 * 365)).isoformat()
    request = steps.start(family, visa, **NAMED, named_worker_passport_expiry=valid)
    assert request.mode == "named" and request.named_worker_passport == "C4512398"
    steps.choose_office(family, request, office)

    team = signed_in(staff)
    task = office_task(request)
    steps.post(team, task_url(task, "assign"))
    form = team.get(task_url(task, "execute")).content.decode()
    assert "Siti Rahayu" in form and "complete her CV" in form
    answer = steps.post(
        team,
        task_url(task, "execute"),
        {
            "date_of_birth": "1995-04-02",
            "religion": "muslim",
            "marital_status": "single",
            "languages": "Bahasa Indonesia, Arabic",
            "experience_years": "4",
            "monthly_salary": "1500",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    cv = WorkerCV.objects.get(office=office, passport_number="C4512398")
    assert cv.name == "Siti Rahayu" and cv.phone == "+6281234567890" and cv.language == "id"
    assert fresh(request).state == RequestState.OFFERS_SENT
    assert list(request.offers.values_list("cv", flat=True)) == [cv.pk]

    steps.select(family, request, cv)
    contract = Contract.objects.get(request=request)
    text = Message.objects.get(to="+6281234567890")
    assert "kontrak kerja" in text.body and contract.worker_token in text.body


def test_an_office_may_offer_only_the_named_worker(steps):
    household = english_household()
    office, staff = office_with_staff("Al Nakheel Recruitment", cvs=1)
    family = signed_in(household.user)
    valid = (timezone.localdate() + dt.timedelta(days=5 * 365)).isoformat()
    request = steps.start(family, visa_for(household), **NAMED, named_worker_passport_expiry=valid)
    steps.choose_office(family, request, office)
    other_worker = office.cvs.get()

    with translation.override("en"), pytest.raises(ValidationError, match="offer exactly that worker"):
        offer_send(actor=Actor.direct(staff), request=fresh(request), cv=other_worker)
    assert not Offer.objects.exists() and fresh(request).state == RequestState.AWAITING_OFFERS


def test_a_late_office_sends_the_request_back_and_another_office_answers(case, steps, monkeypatch):
    household, family, office, staff, request = case
    other, other_staff = office_with_staff("Riyadh Gate Recruitment")

    later(monkeypatch, days=1)
    assert steps.fire_timers() == 0 and fresh(request).state == RequestState.AWAITING_OFFERS
    later(monkeypatch, days=2, minutes=1)
    assert steps.fire_timers() == 1

    request = fresh(request)
    assert request.state == RequestState.OFFICE_LATE
    assert request.assignments.get().outcome == OfficeAssignment.Outcome.LATE
    assert open_tasks(request) == ["choose_office"]
    assert Message.objects.filter(to=household.mobile, body__contains="did not answer").exists()
    assert Notification.objects.filter(recipient=staff, event="request_office_missed").exists()
    assert request.reference not in signed_in(staff).get(reverse("requests:work:queue")).content.decode()
    page = family.get(reverse("requests:detail", args=[request.reference])).content.decode()
    assert "did not answer in time" in page and "Choose an office" in page

    steps.choose_office(family, request, other)
    request = fresh(request)
    assert request.office == other and request.state == RequestState.AWAITING_OFFERS
    assert steps.send_offers(signed_in(other_staff), request, list(other.cvs.all())).status_code == 302
    assert fresh(request).state == RequestState.OFFERS_SENT
    assert list(request.assignments.values_list("outcome", flat=True)) == ["late", "answered"]


def test_an_office_cannot_answer_after_its_deadline(case, steps, monkeypatch):
    household, family, office, staff, request = case
    later(monkeypatch, days=3)
    team = signed_in(staff)
    task = office_task(request)
    steps.post(team, task_url(task, "assign"))
    answer = steps.post(team, task_url(task, "execute"), {"cvs": [office.cvs.first().pk]})
    assert (
        answer.status_code == 200 and "The time to answer this request has passed" in answer.content.decode()
    )
    assert not Offer.objects.exists() and fresh(request).state == RequestState.AWAITING_OFFERS


def test_turning_every_offer_down_asks_the_same_office_again_or_another(offered, steps):
    household, family, office, staff, request, cvs = offered
    answer = steps.post(family, reverse("requests:reject_all", args=[request.reference]))
    assert answer.status_code == 302
    request = fresh(request)
    assert request.state == RequestState.AWAITING_OFFERS and request.office == office
    assert set(request.offers.values_list("state", flat=True)) == {OfferState.REJECTED}
    assert request.assignments.count() == 2 and request.answer_due_at > timezone.now()
    assert open_tasks(request) == ["send_offers", "send_offers__timeout"]
    assert Notification.objects.filter(recipient=staff, event="request_new_offers_asked").exists()

    # While it waits, the household takes the request to another office: the first one's task ends.
    other, other_staff = office_with_staff("Riyadh Gate Recruitment")
    steps.choose_office(family, request, other)
    request = fresh(request)
    assert request.office == other
    assert list(request.assignments.values_list("outcome", flat=True)) == ["answered", "withdrawn", "waiting"]
    assert request.reference not in signed_in(staff).get(reverse("requests:work:queue")).content.decode()
    assert request.reference in signed_in(other_staff).get(reverse("requests:work:queue")).content.decode()
    assert open_tasks(request) == ["send_offers", "send_offers__timeout"]


def test_the_worker_declines_and_the_household_chooses_again(offered, steps):
    household, family, office, staff, request, cvs = offered
    steps.select(family, request, cvs[0])
    contract = Contract.objects.get(request=request)
    assert not WorkerCV.objects.get(pk=cvs[0].pk).available

    answer = steps.worker(contract, "decline", reason="I have found work in Hong Kong.")
    assert answer.status_code == 302
    request = fresh(request)
    assert request.state == RequestState.OFFERS_SENT
    contract = Contract.objects.get(pk=contract.pk)
    assert contract.worker_declined_at and contract.worker_decline_reason == "I have found work in Hong Kong."
    assert request.offers.get(cv=cvs[0]).state == OfferState.DECLINED
    assert request.offers.get(cv=cvs[1]).state == OfferState.OPEN
    assert WorkerCV.objects.get(pk=cvs[0].pk).available
    assert open_tasks(request) == ["select_offer"]
    assert Message.objects.filter(to=household.mobile, body__contains="did not accept").exists()
    page = family.get(reverse("requests:detail", args=[request.reference])).content.decode()
    assert "declined the contract" in page and "I have found work in Hong Kong." in page

    steps.select(family, request, cvs[1])
    assert fresh(request).state == RequestState.AWAITING_WORKER
    assert request.contracts.filter(worker_declined_at__isnull=True).get().cv == cvs[1]


def test_a_silent_worker_is_taken_to_decline_at_her_deadline(offered, steps, monkeypatch):
    household, family, office, staff, request, cvs = offered
    steps.select(family, request, cvs[0])
    contract = Contract.objects.get(request=request)

    later(monkeypatch, days=5, minutes=1)
    assert steps.fire_timers() == 1
    assert fresh(request).state == RequestState.OFFERS_SENT
    contract = Contract.objects.get(pk=contract.pk)
    assert contract.worker_declined_at is not None and contract.worker_accepted_at is None
    assert open_tasks(request) == ["select_offer"]
    page = (
        signed_in(household.user).get(reverse("requests:detail", args=[request.reference])).content.decode()
    )
    assert "did not answer in time" in page
    worker_page = signed_in(household.user).get(reverse("worker:contract", args=[contract.worker_token]))
    assert worker_page.status_code == 410


def test_another_requests_offer_cannot_be_chosen(offered, steps):
    household, family, office, staff, request, cvs = offered
    stranger = english_household()
    stranger_request = steps.start(signed_in(stranger.user), visa_for(stranger))
    steps.choose_office(signed_in(stranger.user), stranger_request, office)
    steps.send_offers(signed_in(staff), fresh(stranger_request), [WorkerCVFactory(office=office)])
    foreign = stranger_request.offers.get()

    answer = steps.post(family, reverse("requests:select", args=[request.reference, foreign.pk]))
    assert answer.status_code == 404
    answer = steps.post(
        signed_in(stranger.user), reverse("requests:select", args=[request.reference, cvs[0].pk])
    )
    assert answer.status_code == 404
    assert not Contract.objects.exists()
    assert fresh(request).state == RequestState.OFFERS_SENT
    assert set(Offer.objects.values_list("state", flat=True)) == {OfferState.OPEN}


def test_a_request_on_a_new_visa_waits_for_it_and_ends_if_it_is_refused(steps):
    household = english_household()
    visa = visa_for(household, state=VisaState.UNDER_REVIEW)
    office, staff = office_with_staff("Al Nakheel Recruitment")
    family = signed_in(household.user)
    request = steps.start(family, visa)
    steps.choose_office(family, request, office)
    assignment = fresh(request).assignments.get()
    days = (assignment.answer_due_at - assignment.assigned_at).total_seconds() / 86400
    assert round(days) == fresh(request).rule_set.office_answer_days_new_visa

    cvs = list(office.cvs.all())
    steps.send_offers(signed_in(staff), fresh(request), cvs)
    answer = steps.select(family, fresh(request), cvs[0])
    assert answer.status_code == 302 and not Contract.objects.exists()
    messages = family.get(answer.url).content.decode()
    assert "You can choose a worker once your visa is issued" in messages

    Visa.objects.filter(pk=visa.pk).update(state=VisaState.REJECTED)
    assert requests_sweep() == {"rejected": 1, "processes_ended": 0}
    request = fresh(request)
    assert request.state == RequestState.REJECTED and open_tasks(request) == []
    assert set(request.offers.values_list("state", flat=True)) == {OfferState.REJECTED}
    assert requests_sweep() == {"rejected": 0, "processes_ended": 0}


def test_a_request_cancelled_elsewhere_leaves_no_task_in_the_queue(case):
    household, family, office, staff, request = case
    RecruitmentRequest.objects.filter(pk=request.pk).update(state=RequestState.CANCELLED)
    assert requests_sweep() == {"rejected": 0, "processes_ended": 1}
    assert open_tasks(request) == []
    assert request.reference not in signed_in(staff).get(reverse("requests:work:queue")).content.decode()


def test_one_visa_backs_one_open_request(case, steps):
    household, family, office, staff, request = case
    answer = steps.post(
        family, reverse("requests:start", args=[request.visa.reference]), {"mode": "specification"}
    )
    assert answer.status_code == 302 and answer.url == reverse("requests:detail", args=[request.reference])
    assert RecruitmentRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("12500", "cannot be above your listed price"),
        ("0", "Ensure this value is greater than or equal to 1"),
    ],
)
def test_a_price_above_the_list_changes_nothing(case, steps, price, message):
    household, family, office, staff, request = case
    answer = steps.send_offers(signed_in(staff), request, [office.cvs.first()], price=price)
    assert answer.status_code == 200 and message in answer.content.decode()
    assert not Offer.objects.exists() and fresh(request).state == RequestState.AWAITING_OFFERS


def test_a_price_list_above_the_ceiling_is_refused(case, steps):
    household, family, office, staff, request = case
    office.prices.update(price=15000)  # the 2024 ceiling for the Philippines is 14,700 SAR
    answer = steps.send_offers(signed_in(staff), request, [office.cvs.first()])
    assert answer.status_code == 200 and "above the ceiling of 14700" in answer.content.decode()
    assert not Offer.objects.exists()


def test_another_offices_cv_is_not_offered(case, steps):
    household, family, office, staff, request = case
    foreign = WorkerCVFactory()
    answer = steps.send_offers(signed_in(staff), request, [foreign])
    assert answer.status_code == 200 and not Offer.objects.exists()


def test_without_a_phone_the_office_is_asked_to_give_the_worker_her_link(steps):
    household = english_household()
    office, staff = office_with_staff("Al Nakheel Recruitment", cvs=1, phone="")
    family = signed_in(household.user)
    request = steps.start(family, visa_for(household))
    steps.choose_office(family, request, office)
    cv = office.cvs.get()
    steps.send_offers(signed_in(staff), fresh(request), [cv])
    steps.select(family, fresh(request), cv)

    contract = Contract.objects.get(request=request)
    told = Notification.objects.get(recipient=staff, event="request_worker_link")
    assert told.url.endswith(reverse("worker:contract", args=[contract.worker_token]))
    assert not Message.objects.filter(channel="sms", body__contains=contract.worker_token).exists()


def test_a_worker_chosen_elsewhere_can_no_longer_be_chosen(offered, steps):
    household, family, office, staff, request, cvs = offered
    WorkerCV.objects.filter(pk=cvs[0].pk).update(available=False)
    page = family.get(reverse("requests:detail", args=[request.reference])).content.decode()
    assert "No longer available" in page
    answer = steps.select(family, request, cvs[0])
    assert "is not available any more" in family.get(answer.url).content.decode()
    assert not Contract.objects.exists()
