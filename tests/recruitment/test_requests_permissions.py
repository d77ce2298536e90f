"""Who reaches which page of the request stage: the household (or its delegate for recruitment), the
staff of the office the request is with, nobody else; the worker only with her link."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.models import Delegation, DelegationScope
from musaned.accounts.roles import Role
from recruitment.flows import RecruitmentFlow
from recruitment.models import RequestState
from tests.accounts.support import with_totp
from tests.factories import OfficeMembershipFactory, UserFactory

from .requests_domain import (
    Steps,
    english_household,
    fresh,
    office_task,
    office_with_staff,
    process_of,
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


def delegate_of(principal, scope: str):
    person = UserFactory(roles=[], first_name="Sara", last_name="Delegate")
    delegation = Delegation.objects.create(
        principal=principal,
        delegate=person,
        scope=scope,
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    client = signed_in(person)
    session = client.session
    session["acting_delegation_id"] = delegation.pk
    session.save()
    return client


@pytest.fixture
def world(steps):
    """A request with the office, offers sent; the people around it, each with a signed-in client."""
    household = english_household()
    visa = visa_for(household)
    office, staff = office_with_staff("Al Nakheel Recruitment")
    other_office, other_staff = office_with_staff("Riyadh Gate Recruitment")
    family = signed_in(household.user)
    request = steps.start(family, visa)
    steps.choose_office(family, request, office)
    task = office_task(request)
    steps.send_offers(signed_in(staff), fresh(request), list(office.cvs.all()))
    stranger = english_household()
    manager = with_totp(OfficeMembershipFactory(office=office).user)
    clients = {
        "anonymous": Client(),
        "household": family,
        "other household": signed_in(stranger.user),
        "delegate for recruitment": delegate_of(household.user, DelegationScope.RECRUITMENT),
        "delegate for visas": delegate_of(household.user, DelegationScope.VISA_APPLICATIONS),
        "office staff": signed_in(staff),
        "other office staff": signed_in(other_staff),
        "delegate of the office manager": delegate_of(manager, DelegationScope.RECRUITMENT),
        "ministry": signed_in(with_totp(UserFactory(roles=[Role.SUPERVISORS]))),
    }
    return {"request": fresh(request), "visa": visa, "task": task, "offer": request.offers.first(), **clients}


HOUSEHOLD_PAGES = {
    # person: (list, start, detail, offices, contract.pdf)
    "anonymous": (302, 302, 302, 302, 302),
    "household": (200, 302, 200, 302, 404),
    "delegate for recruitment": (200, 302, 200, 302, 404),
    "delegate for visas": (403, 403, 403, 403, 403),
    "other household": (200, 404, 404, 404, 404),
    "office staff": (403, 403, 403, 403, 403),
    "ministry": (403, 403, 403, 403, 403),
}


@pytest.mark.parametrize("person", HOUSEHOLD_PAGES)
def test_the_household_pages(world, person):
    request, client = world["request"], world[person]
    urls = [
        reverse("requests:list"),
        reverse("requests:start", args=[world["visa"].reference]),
        reverse("requests:detail", args=[request.reference]),
        reverse("requests:offices", args=[request.reference]),
        reverse("requests:contract_pdf", args=[request.reference]),
    ]
    codes = tuple(client.get(url).status_code for url in urls)
    assert codes == HOUSEHOLD_PAGES[person]
    if codes[0] == 200 and person == "other household":
        assert request.reference not in client.get(urls[0]).content.decode()


HOUSEHOLD_ACTIONS = {
    # person: (choose an offer, turn every offer down)
    "anonymous": (302, 302),
    "other household": (404, 404),
    "delegate for visas": (403, 403),
    "office staff": (403, 403),
    "ministry": (403, 403),
}


@pytest.mark.parametrize("person", HOUSEHOLD_ACTIONS)
def test_nobody_else_chooses_for_the_household(world, steps, person):
    request, client = world["request"], world[person]
    choose = steps.post(client, reverse("requests:select", args=[request.reference, world["offer"].pk]))
    reject = steps.post(client, reverse("requests:reject_all", args=[request.reference]))
    assert (choose.status_code, reject.status_code) == HOUSEHOLD_ACTIONS[person]
    assert fresh(request).state == RequestState.OFFERS_SENT


def test_the_actions_take_a_post_only(world):
    request, client = world["request"], world["household"]
    assert (
        client.get(reverse("requests:select", args=[request.reference, world["offer"].pk])).status_code == 405
    )
    assert client.get(reverse("requests:reject_all", args=[request.reference])).status_code == 405


def test_a_delegate_for_recruitment_chooses_for_the_household(world, steps):
    request = world["request"]
    steps.post(
        world["delegate for recruitment"],
        reverse("requests:select", args=[request.reference, world["offer"].pk]),
    )
    assert fresh(request).state == RequestState.AWAITING_WORKER


OFFICE_PAGES = {
    # person: (queue, inbox, archive, the request's page, the task's page)
    "anonymous": (302, 302, 302, 302, 302),
    "household": (403, 403, 403, 403, 403),
    "office staff": (200, 200, 200, 200, 302),
    "other office staff": (200, 200, 200, 404, 404),
    "delegate of the office manager": (403, 403, 403, 403, 403),
    "ministry": (403, 403, 403, 403, 403),
}


@pytest.mark.parametrize("person", OFFICE_PAGES)
def test_the_office_work_pages(world, person):
    request, task, client = world["request"], world["task"], world[person]
    urls = [
        reverse("requests:work:queue"),
        reverse("requests:work:inbox"),
        reverse("requests:work:archive"),
        reverse("requests:work:process_detail", args=[task.process_id]),
        task_url(task, "index"),
    ]
    codes = tuple(client.get(url).status_code for url in urls)
    assert codes == OFFICE_PAGES[person]
    if person == "other office staff":
        for url in urls[:3]:
            assert request.reference not in client.get(url).content.decode()
        assert client.get(urls[0]).context["user_queue"].count() == 0  # the menu's count too
    if person == "office staff":
        assert request.reference in client.get(urls[2]).content.decode()  # the task it answered


def test_an_office_never_reaches_another_offices_task(world, steps):
    household = english_household()
    request = steps.start(signed_in(household.user), visa_for(household))
    other_office_staff = world["other office staff"]
    office = world["request"].office
    steps.choose_office(signed_in(household.user), request, office)
    task = office_task(request)
    for action in ("index", "detail", "assign", "execute"):
        assert other_office_staff.get(task_url(task, action)).status_code == 404
        assert steps.post(other_office_staff, task_url(task, action)).status_code == 404
    # Nor by pairing its own process with the other task.
    own_process = world["task"].process_id
    assert (
        other_office_staff.get(
            f"{reverse('requests:work:index')}{own_process}/send_offers/{task.pk}/"
        ).status_code
        == 404
    )
    assert fresh(request).state == RequestState.AWAITING_OFFERS and task.owner is None


def test_the_flow_wide_pages_are_not_offered(world):
    staff = world["office staff"]
    base = reverse("requests:work:index")
    assert staff.get(base).status_code == 302
    for path in ("flows/", "tasks/", "chart/", "queue/assign/", "inbox/unassign/"):
        assert staff.get(base + path).status_code == 404, path
    process = process_of(world["request"])
    assert staff.get(f"{base}{process.pk}/cancel/").status_code == 404
    assert RecruitmentFlow.instance.has_view_permission(world["task"].owner or UserFactory()) is False


def test_worker_links(world, steps):
    steps.select(world["household"], world["request"], world["offer"].cv)
    contract = world["request"].contracts.get()
    anyone = Client()
    assert anyone.get(reverse("worker:contract", args=[contract.worker_token])).status_code == 200
    assert anyone.get(reverse("worker:contract_pdf", args=[contract.worker_token])).status_code == 200
    unknown = contract.worker_token[:8] + "x" * 35
    for name in ("contract", "contract_pdf"):
        assert anyone.get(reverse(f"worker:{name}", args=[unknown])).status_code == 404
        assert anyone.get(reverse(f"worker:{name}", args=["short"])).status_code == 404
    for name in ("accept", "decline"):
        assert anyone.get(reverse(f"worker:{name}", args=[contract.worker_token])).status_code == 405
        assert steps.post(anyone, reverse(f"worker:{name}", args=[unknown])).status_code == 404
    assert fresh(world["request"]).state == RequestState.AWAITING_WORKER


def test_list_pages_stay_within_a_fixed_number_of_queries(world, steps, django_assert_max_num_queries):
    household = world["request"].household
    for _number in range(3):
        steps.start(world["household"], visa_for(household))
    with django_assert_max_num_queries(16):
        assert world["household"].get(reverse("requests:list")).status_code == 200
    with django_assert_max_num_queries(22):
        assert (
            world["household"].get(reverse("requests:detail", args=[world["request"].reference])).status_code
            == 200
        )
    with django_assert_max_num_queries(25):
        assert world["office staff"].get(reverse("requests:work:archive")).status_code == 200
