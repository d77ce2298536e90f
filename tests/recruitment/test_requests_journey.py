"""A request by specification, end to end over HTTP: the household asks, compares and chooses an office,
the office answers from its queue, the household chooses a worker, and the worker accepts by her link."""

import pytest
from django.urls import reverse

from musaned.accounts.models import AuditEvent
from musaned.notifications.models import Message, Notification
from recruitment.models import Contract, OfferState, OfficeAssignment, RequestState

from .requests_domain import (
    PRICE,
    WORKER_PHONE,
    Steps,
    english_household,
    fresh,
    office_with_staff,
    open_tasks,
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


def test_by_specification_until_the_household_is_asked_to_pay(steps):
    household = english_household()
    visa = visa_for(household)
    office, staff = office_with_staff("Al Nakheel Recruitment", cvs=3)
    other_office, _other_staff = office_with_staff("Riyadh Gate Recruitment")
    family = signed_in(household.user)

    # The household starts from its visa and is taken to the offices' comparison.
    listing = family.get(reverse("requests:list")).content.decode()
    assert reverse("requests:start", args=[visa.reference]) in listing
    request = steps.start(family, visa)
    assert request.state == RequestState.AWAITING_OFFERS and request.office is None
    assert open_tasks(request) == ["choose_office"]
    comparison = family.get(reverse("requests:offices", args=[request.reference])).content.decode()
    assert "Al Nakheel Recruitment" in comparison and "Riyadh Gate Recruitment" in comparison
    assert "12,000 SAR" in comparison

    steps.choose_office(family, request, office)
    request = fresh(request)
    assert request.office == office and request.state == RequestState.AWAITING_OFFERS
    assignment = request.assignments.get()
    days = (assignment.answer_due_at - assignment.assigned_at).total_seconds() / 86400
    assert round(days) == request.rule_set.office_answer_days_with_visa
    assert open_tasks(request) == ["send_offers", "send_offers__timeout"]
    assert Notification.objects.filter(recipient=staff, event="request_office_assigned").exists()
    assert Message.objects.filter(
        to=staff.email, channel="email", subject__contains=request.reference
    ).exists()

    # The office finds it in its queue (the other office does not) and sends two offers.
    team = signed_in(staff)
    queue = team.get(reverse("requests:work:queue")).content.decode()
    assert request.reference in queue
    assert (
        request.reference not in signed_in(_other_staff).get(reverse("requests:work:queue")).content.decode()
    )
    cvs = list(office.cvs.order_by("pk"))[:2]
    answer = steps.send_offers(team, request, cvs)
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    request = fresh(request)
    assert request.state == RequestState.OFFERS_SENT
    assert request.assignments.get().outcome == OfficeAssignment.Outcome.ANSWERED
    assert open_tasks(request) == ["select_offer"]
    assert Message.objects.filter(to=household.mobile, body__contains=request.reference).exists()

    # The household reads both CVs and chooses the first worker.
    page = family.get(reverse("requests:detail", args=[request.reference])).content.decode()
    assert cvs[0].name in page and cvs[1].name in page and "Choose a worker, or ask for new offers" in page
    steps.select(family, request, cvs[0])
    request = fresh(request)
    assert request.state == RequestState.AWAITING_WORKER
    contract = Contract.objects.get(request=request)
    assert contract.price == PRICE and contract.vat_amount == PRICE * contract.rule_set.vat_rate
    assert contract.total == contract.price + contract.vat_amount
    assert contract.worker_language == "tl" and contract.contract_months == contract.rule_set.contract_months
    days = (contract.worker_decision_due_at - contract.created_at).total_seconds() / 86400
    assert round(days) == contract.rule_set.worker_acceptance_days
    assert sorted(request.offers.values_list("state", flat=True)) == [
        OfferState.REJECTED,
        OfferState.SELECTED,
    ]
    assert open_tasks(request) == ["worker_decision", "worker_decision__timeout"]
    text = Message.objects.get(to=WORKER_PHONE)
    assert reverse("worker:contract", args=[contract.worker_token]) in text.body
    assert "kontrata" in text.body  # the text message is in Tagalog, her contract language

    # She accepts through her link; the household is billed.
    assert steps.worker(contract, "accept").status_code == 302
    request = fresh(request)
    assert request.state == RequestState.AWAITING_PAYMENT
    contract = Contract.objects.select_related("bill").get(pk=contract.pk)
    assert contract.worker_accepted_at is not None and contract.bill.amount == contract.total
    assert open_tasks(request) == []
    assert AuditEvent.objects.filter(action="contract.worker_accepted", target_id=str(request.pk)).exists()
    page = family.get(reverse("requests:detail", args=[request.reference])).content.decode()
    assert reverse("delivery:case", args=[request.reference]) in page
