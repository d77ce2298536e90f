"""The ministry's licensing screens: the offices' papers, registration, suspension and reinstatement."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.models import AuditEvent
from musaned.accounts.roles import Role
from musaned.notifications.models import Notification
from recruitment.models import Office, Sanction
from tests.factories import HouseholdFactory, OfficeFactory, PriceListEntryFactory, SanctionFactory
from tests.recruitment.offices_support import client_for, manager_of, ministry_officer, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return ministry_officer(Role.LICENSING)


@pytest.fixture
def client(officer):
    return client_for(officer)


@pytest.fixture
def office():
    office = OfficeFactory(name_en="Al Nakheel Recruitment")
    PriceListEntryFactory(office=office)
    return office


def test_the_list_shows_each_office_papers_and_whether_it_takes_requests(
    client, office, django_assert_max_num_queries
):
    OfficeFactory(name_en="Lapsed Office", cr_valid_until=timezone.localdate() - dt.timedelta(days=2))
    OfficeFactory(name_en="New Office", cr_valid_until=None, cr_checked_at=None)
    SanctionFactory(office=OfficeFactory(name_en="Suspended Office"))
    for _ in range(20):
        OfficeFactory()
    with django_assert_max_num_queries(17):  # sign-in checks, then a count, the offices, their sanctions
        response = client.get(reverse("offices:ministry_list"))
    page = response.content.decode()
    assert "Al Nakheel Recruitment" in page and "not checked yet" in page and "expired on" in page
    assert "The ministry has suspended this office." in page
    assert page.count("Not taking requests") == 3

    found = client.get(reverse("offices:ministry_list"), {"q": "Lapsed"}).content.decode()
    assert "Lapsed Office" in found and "Al Nakheel" not in found


def test_registering_an_office_from_the_screen(client, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("offices:register"),
            {
                "name_ar": "مكتب الواحة",
                "name_en": "Al Waha Office",
                "cr_number": "4030111222",
                "licence_number": "RL-777",
                "licence_valid_until_calendar": "gregorian",
                "licence_valid_until": "2030-01-01",
                "bank_guarantee_amount": "250000",
                "city": "جدة",
                "phone": "+966122222222",
                "email": "info@alwaha.example.sa",
                "manager_email": "boss@alwaha.example.sa",
                "manager_first_name": "Saad",
                "manager_last_name": "Alghamdi",
            },
        )
    office = Office.objects.get(cr_number="4030111222")
    assert response.url == reverse("offices:ministry_detail", args=[office.pk])
    assert office.cr_valid_until is not None and mail.outbox[-1].to == ["boss@alwaha.example.sa"]
    page = client.get(response.url).content.decode()
    assert "Taking new requests" in page and "boss@alwaha.example.sa" in page


def test_a_registration_with_a_taken_number_or_address_changes_nothing(client, office):
    response = client.post(
        reverse("offices:register"),
        {"cr_number": office.cr_number, "manager_email": "not-an-address", "name_en": "Copy"},
    )
    assert response.status_code == 200 and "Nothing has been saved yet" in response.content.decode()
    assert Office.objects.count() == 1


def test_suspending_shows_on_the_profile_and_stops_requests_then_reinstating(
    client, office, django_capture_on_commit_callbacks
):
    manager = manager_of(office)
    until = timezone.localdate() + dt.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("offices:suspend", args=[office.pk]),
            {
                "reason": "Ten complaints unanswered",
                "until_calendar": "gregorian",
                "until": until.isoformat(),
            },
        )
    assert response.url == reverse("offices:ministry_detail", args=[office.pk])
    public = client_for(None).get(reverse("offices:profile", args=[office.pk])).content.decode()
    assert "suspended this office until" in public and "Ten complaints unanswered" in public
    listing = client_for(None).get(reverse("offices:list")).content.decode()
    assert "Al Nakheel Recruitment" not in listing
    assert Notification.objects.filter(recipient=manager, event="office_sanctioned").exists()

    detail = client.get(reverse("offices:ministry_detail", args=[office.pk])).content.decode()
    assert reverse("offices:reinstate", args=[office.pk]) in detail

    response = client.post(reverse("offices:reinstate", args=[office.pk]), {"reason": ""})
    assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("offices:reinstate", args=[office.pk]), {"reason": "All answered"})
    assert Sanction.objects.get().lifted_at is not None
    assert "Al Nakheel Recruitment" in client_for(None).get(reverse("offices:list")).content.decode()
    assert AuditEvent.objects.filter(action="office_reinstated").exists()


def test_a_suspension_end_date_in_the_past_is_refused(client, office):
    response = client.post(
        reverse("offices:suspend", args=[office.pk]),
        {"reason": "x", "until_calendar": "gregorian", "until": "2020-01-01"},
    )
    assert "cannot be in the past" in response.content.decode()
    assert not Sanction.objects.exists()


def test_checking_the_registration_now(client, office, settings):
    office.cr_number = "4030111229"
    office.save()
    response = client.post(reverse("offices:ministry_check", args=[office.pk]))
    assert response.url == reverse("offices:ministry_detail", args=[office.pk])
    office.refresh_from_db()
    assert office.cr_valid_until < timezone.localdate()
    assert client.get(reverse("offices:ministry_check", args=[office.pk])).status_code == 405


# --- who may open what ---------------------------------------------------------------------------

PEOPLE = [
    ("anonymous", 302),
    ("household", 403),
    ("manager", 403),
    ("staff", 403),
    ("other_manager", 403),
    (Role.VISA_REVIEW, 403),
    (Role.COMPLAINTS, 403),
    (Role.LICENSING, 200),
    (Role.SUPERVISORS, 200),
]


def person(kind, office):
    return {
        "anonymous": lambda: None,
        "household": lambda: HouseholdFactory().user,
        "manager": lambda: manager_of(office),
        "staff": lambda: staff_of(office),
        "other_manager": lambda: manager_of(OfficeFactory()),
    }.get(kind, lambda: ministry_officer(kind))()


@pytest.mark.parametrize("kind, status", PEOPLE)
def test_permission_matrix_of_the_licensing_screens(kind, status, office):
    client = client_for(person(kind, office))
    for url in (
        reverse("offices:ministry_list"),
        reverse("offices:register"),
        reverse("offices:ministry_detail", args=[office.pk]),
        reverse("offices:suspend", args=[office.pk]),
        reverse("offices:reinstate", args=[office.pk]),
    ):
        assert client.get(url).status_code == status, url
    client.post(reverse("offices:suspend", args=[office.pk]), {"reason": "x", "until_calendar": "gregorian"})
    assert Sanction.objects.exists() == (status == 200)
    check = client.post(reverse("offices:ministry_check", args=[office.pk]))
    assert check.status_code == (302 if status in (200, 302) else 403)


@pytest.mark.parametrize("kind, status", PEOPLE)
def test_permission_matrix_of_the_public_pages(kind, status, office):
    client = client_for(person(kind, office))
    assert client.get(reverse("offices:list")).status_code == 200
    assert client.get(reverse("offices:profile", args=[office.pk])).status_code == 200
    search = client.get(reverse("offices:cv_search")).status_code
    assert search == {"anonymous": 302, "household": 200}.get(kind, 403)


def test_the_ministry_home_links_the_licensing_screens(client):
    assert reverse("offices:ministry_list") in client.get(reverse("ministry:home")).content.decode()
    complaints = client_for(ministry_officer(Role.COMPLAINTS))
    assert reverse("offices:ministry_list") not in complaints.get(reverse("ministry:home")).content.decode()
