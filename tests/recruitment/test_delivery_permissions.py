"""Who may open each page of a case and take each action: everyone else gets "not found" or "forbidden"."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from musaned.accounts.middleware import ActingForMiddleware
from musaned.accounts.models import Delegation, DelegationScope
from musaned.accounts.roles import Role
from recruitment.models import Milestone, MilestoneKind, RequestState
from tests.accounts.support import with_totp
from tests.factories import HouseholdFactory, OfficeFactory, UserFactory

from .delivery_support import (
    arrived_case,
    handed_over_case,
    office_staff,
    paid_case,
    pdf_upload,
    quick_pdfs,
    report,
    signed_in,
)

pytestmark = pytest.mark.django_db

# who: (status of the case page, status of an action meant for someone else)
VIEWERS = {
    "household": 200,
    "office": 200,
    "complaints officer": 200,
    "supervisor": 200,
    "other household": 404,
    "other office": 404,
    "visa reviewer": 404,
    "licensing officer": 404,
}
HOUSEHOLD_ACTIONS = ("rebill", "handover", "return", "cancel", "rate")
OFFICE_ACTIONS = ("milestone_report", "extend", "arrival", "office_cancel")


@pytest.fixture(autouse=True)
def _quick_pdfs(monkeypatch):
    quick_pdfs(monkeypatch)


def people(case) -> dict:
    return {
        "household": case.household.user,
        "office": case.staff,
        "complaints officer": with_totp(UserFactory(roles=[Role.COMPLAINTS])),
        "supervisor": with_totp(UserFactory(roles=[Role.SUPERVISORS])),
        "other household": HouseholdFactory().user,
        "other office": office_staff(OfficeFactory()),
        "visa reviewer": with_totp(UserFactory(roles=[Role.VISA_REVIEW])),
        "licensing officer": with_totp(UserFactory(roles=[Role.LICENSING])),
    }


def expected_for_action(who: str, action: str) -> int:
    """Strangers do not learn the case exists; people of the case may not take another party's action."""
    if VIEWERS[who] == 404:
        return 404
    owner = "household" if action in HOUSEHOLD_ACTIONS else "office"
    return None if who == owner else 403


def test_the_case_page_and_its_documents_open_for_the_people_of_the_case_only(
    django_capture_on_commit_callbacks,
):
    case = paid_case(django_capture_on_commit_callbacks)
    report(case, django_capture_on_commit_callbacks, MilestoneKind.MOFA_AUTHORISATION, document=pdf_upload())
    document_url = case.url("milestone_document", Milestone.objects.get().pk)

    for who, user in people(case).items():
        client = signed_in(user)
        assert client.get(case.url()).status_code == VIEWERS[who], who
        assert client.get(document_url).status_code == VIEWERS[who], who

    assert Client().get(case.url()).status_code == 302  # to the sign-in page
    assert (
        signed_in(case.household.user).get(case.url("case").replace(case.reference, "RQ-NOSUCH")).status_code
        == 404
    )


@pytest.mark.parametrize("action", HOUSEHOLD_ACTIONS + OFFICE_ACTIONS)
def test_each_action_is_refused_to_everyone_but_its_party(django_capture_on_commit_callbacks, action):
    case = paid_case(django_capture_on_commit_callbacks)
    state = case.fresh().state

    for who, user in people(case).items():
        expected = expected_for_action(who, action)
        if expected is None:
            continue
        response = signed_in(user).post(case.url(action), {"reason": "no", "stars": "5"})
        assert response.status_code == expected, (who, action, response.status_code)

    assert case.fresh().state == state
    assert not Milestone.objects.exists()


def test_the_hand_over_and_return_are_the_household_s_own(django_capture_on_commit_callbacks):
    arrived = arrived_case(django_capture_on_commit_callbacks)
    assert signed_in(arrived.staff).post(arrived.url("handover")).status_code == 403
    assert arrived.fresh().state == RequestState.ARRIVED

    returned = handed_over_case(django_capture_on_commit_callbacks)
    form = {
        "exit_on_calendar": "gregorian",
        "exit_on": timezone.localdate().isoformat(),
        "reason": "x",
        "confirm": "1",
    }
    assert signed_in(returned.staff).post(returned.url("return"), form).status_code == 403
    assert returned.fresh().state == RequestState.IN_GUARANTEE


def act_for(delegate, principal, scope) -> Client:
    delegation = Delegation.objects.create(
        principal=principal,
        delegate=delegate,
        scope=scope,
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    client = signed_in(delegate)
    session = client.session
    session[ActingForMiddleware.SESSION_KEY] = delegation.pk
    session.save()
    return client


def test_a_delegate_for_recruitment_acts_for_the_household_and_other_delegates_do_not(
    django_capture_on_commit_callbacks,
):
    case = paid_case(django_capture_on_commit_callbacks)
    for_recruitment = act_for(
        UserFactory(roles=[Role.HOUSEHOLD]), case.household.user, DelegationScope.RECRUITMENT
    )
    for_profile = act_for(UserFactory(roles=[Role.HOUSEHOLD]), case.household.user, DelegationScope.PROFILE)

    assert for_recruitment.get(case.url()).status_code == 200
    assert for_profile.get(case.url()).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        for_recruitment.post(case.url("cancel"), {"reason": "Plans changed"})
    assert case.fresh().state == RequestState.CANCELLED


def test_the_case_page_reads_in_a_bounded_number_of_queries(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    case = handed_over_case(django_capture_on_commit_callbacks)
    client = signed_in(case.household.user, language="ar")

    with django_assert_max_num_queries(25):
        page = client.get(case.url())

    assert page.status_code == 200 and 'dir="rtl"' in page.content.decode()
