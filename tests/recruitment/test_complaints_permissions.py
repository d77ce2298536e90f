"""Who reaches which complaint page: the parties to the complaint and the ministry's complaints team,
nobody else. Another party's complaint does not exist for them (404); a page for another kind of
account is refused (403); anonymous people are sent to sign in."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.roles import Role
from recruitment.models import Complaint, ComplaintAttachment, ComplaintState, RequestState
from tests.factories import HouseholdFactory, OfficeFactory

from .complaint_cases import PDF, client_for, make_case, office_staff, officer

pytestmark = pytest.mark.django_db

PEOPLE = (
    "owner",
    "other_household",
    "assigned_office",
    "assigned_manager",
    "other_office",
    "complaints",
    "supervisors",
    "visa_review",
    "licensing",
    "anonymous",
)


@pytest.fixture
def world():
    case = make_case(state=RequestState.IN_PROCESS)
    complaint = Complaint.objects.create(
        request=case,
        office=case.office,
        filed_by=case.household.user,
        category="visa",
        description="The visa was not activated.",
        response_due_at=timezone.now() + dt.timedelta(days=10),
        state=ComplaintState.ANSWERED,
        office_response="Done.",
        answered_at=timezone.now(),
    )
    attachment = ComplaintAttachment(
        complaint=complaint,
        original_name="a.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )
    attachment.file.save("a.pdf", ContentFile(PDF))
    people = {
        "owner": case.household.user,
        "other_household": HouseholdFactory().user,
        "assigned_office": office_staff(case.office),
        "assigned_manager": office_staff(case.office, Role.OFFICE_MANAGER),
        "other_office": office_staff(OfficeFactory()),
        "complaints": officer(Role.COMPLAINTS),
        "supervisors": officer(Role.SUPERVISORS),
        "visa_review": officer(Role.VISA_REVIEW),
        "licensing": officer(Role.LICENSING),
        "anonymous": None,
    }
    return {"case": case, "complaint": complaint, "attachment": attachment, "people": people}


# status per person, in the order of PEOPLE
GET_PAGES = {
    "mine": ((), (200, 200, 403, 403, 403, 403, 403, 403, 403, 302)),
    "file": (("case",), (200, 404, 403, 403, 403, 403, 403, 403, 403, 302)),
    "detail": (("complaint",), (200, 404, 403, 403, 403, 403, 403, 403, 403, 302)),
    "attachment": (("attachment",), (200, 404, 200, 200, 404, 200, 200, 404, 404, 302)),
    "office_list": ((), (403, 403, 200, 200, 200, 403, 403, 403, 403, 302)),
    "office_detail": (("complaint",), (403, 403, 200, 200, 404, 403, 403, 403, 403, 302)),
    "ministry_queue": ((), (403, 403, 403, 403, 403, 200, 200, 403, 403, 302)),
    "ministry_detail": (("complaint",), (403, 403, 403, 403, 403, 200, 200, 403, 403, 302)),
}


def _args(world, names):
    values = {
        "case": world["case"].reference,
        "complaint": world["complaint"].pk,
        "attachment": world["attachment"].pk,
    }
    return [values[name] for name in names]


@pytest.mark.parametrize("name", GET_PAGES)
def test_who_may_open_each_page(world, name):
    arg_names, expected = GET_PAGES[name]
    url = reverse(f"complaints:{name}", args=_args(world, arg_names))
    seen = {person: client_for(world["people"][person]).get(url).status_code for person in PEOPLE}
    assert seen == dict(zip(PEOPLE, expected, strict=True))


@pytest.mark.parametrize("name", ["resolve", "escalate"])
def test_only_the_complainant_accepts_or_escalates(world, name):
    url = reverse(f"complaints:{name}", args=[world["complaint"].pk])
    expected = (302, 404, 403, 403, 403, 403, 403, 403, 403, 302)
    for person, status in zip(PEOPLE[1:], expected[1:], strict=True):
        assert client_for(world["people"][person]).post(url).status_code == status, person
        assert Complaint.objects.get(pk=world["complaint"].pk).state == ComplaintState.ANSWERED
    assert client_for(world["people"]["owner"]).post(url).status_code == 302
    assert Complaint.objects.get(pk=world["complaint"].pk).state != ComplaintState.ANSWERED


def test_only_the_assigned_office_answers(world):
    complaint = world["complaint"]
    Complaint.objects.filter(pk=complaint.pk).update(
        state=ComplaintState.OPEN, office_response="", answered_at=None
    )
    url = reverse("complaints:office_detail", args=[complaint.pk])
    for person in ("owner", "other_office", "complaints", "anonymous"):
        client_for(world["people"][person]).post(url, {"text": "Not mine to answer"})
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.OPEN
    client_for(world["people"]["assigned_office"]).post(url, {"text": "We are on it."})
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ANSWERED


def test_only_the_complaints_team_decides(world):
    complaint = world["complaint"]
    Complaint.objects.filter(pk=complaint.pk).update(
        state=ComplaintState.ESCALATED, escalated_at=timezone.now()
    )
    url = reverse("complaints:ministry_detail", args=[complaint.pk])
    for person in ("owner", "assigned_manager", "visa_review", "licensing", "anonymous"):
        client_for(world["people"][person]).post(url, {"decision": "dismissed", "note": "No."})
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ESCALATED
    client_for(world["people"]["complaints"]).post(url, {"decision": "dismissed", "note": "Not upheld."})
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.DECIDED


def test_another_office_does_not_see_the_complaint_in_its_list(world):
    page = client_for(world["people"]["other_office"]).get(reverse("complaints:office_list") + "?show=all")
    assert world["case"].reference not in page.content.decode()
    other_household = client_for(world["people"]["other_household"]).get(reverse("complaints:mine"))
    assert world["case"].reference not in other_household.content.decode()
