"""The office area over HTTP: the price list and the workers' CVs, and who may open each page."""

import datetime as dt
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.models import AuditEvent, DelegationScope
from musaned.accounts.roles import Role
from musaned.policy.models import Country, Occupation
from recruitment.models import PriceListEntry, WorkerCV
from tests.accounts.support import with_totp
from tests.factories import (
    HouseholdFactory,
    OfficeFactory,
    PriceListEntryFactory,
    SanctionFactory,
    UserFactory,
    WorkerCVFactory,
)
from tests.recruitment.offices_support import (
    acting_for,
    case,
    client_for,
    delegation,
    manager_of,
    ministry_officer,
    picture,
    staff_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    return OfficeFactory(name_en="Al Nakheel Recruitment")


@pytest.fixture
def manager(office):
    return manager_of(office)


@pytest.fixture
def client(manager):
    return client_for(manager)


def price_form(**overrides):
    data = {
        "nationality": Country.objects.get(code="PH").pk,
        "occupation": Occupation.objects.get(code="housemaid").pk,
        "price": "14700.00",
        "delivery_days": "60",
    }
    return data | overrides


def test_a_price_above_the_ceiling_is_refused_with_the_ceiling_named(client):
    response = client.post(reverse("recruitment:prices"), price_form(price="15000"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The price ceiling for workers from Philippines is 14,700 SAR excl. VAT" in page
    assert "Nothing has been saved yet" in page
    assert not PriceListEntry.objects.exists()


def test_a_price_at_the_ceiling_is_listed_and_can_be_changed_and_removed(client, office):
    response = client.post(reverse("recruitment:prices"), price_form())
    assert response.url == reverse("recruitment:prices")
    entry = PriceListEntry.objects.get(office=office)
    assert entry.price == Decimal("14700") and entry.delivery_days == 60
    assert "14,700 SAR" in client.get(reverse("recruitment:prices")).content.decode()

    other_kind = Country.objects.get(code="KE").pk
    client.post(
        reverse("recruitment:price_edit", args=[entry.pk]),
        price_form(nationality=other_kind, price="13000", delivery_days="45"),
    )
    entry.refresh_from_db()
    assert (entry.nationality.code, entry.price, entry.delivery_days) == ("PH", Decimal("13000"), 45)

    response = client.post(reverse("recruitment:price_remove", args=[entry.pk]))
    assert response.url == reverse("recruitment:prices") and not PriceListEntry.objects.exists()


def test_the_office_home_says_why_no_requests_come(client, office):
    office.cr_valid_until = timezone.localdate() - dt.timedelta(days=3)
    office.save()
    page = client.get(reverse("recruitment:office_home")).content.decode()
    assert "Your office takes no new requests now." in page and "registration expired" in page


def cv_form(**overrides):
    today = timezone.localdate()
    data = {
        "name": "Maria Reyes",
        "nationality": Country.objects.get(code="PH").pk,
        "occupation": Occupation.objects.get(code="housemaid").pk,
        "gender": "female",
        "date_of_birth_calendar": "gregorian",
        "date_of_birth": "1993-02-01",
        "religion": "christian",
        "marital_status": "single",
        "languages": "English, Tagalog",
        "experience_years": "4",
        "skills": "Cooking",
        "passport_number": "P7654321",
        "passport_expiry_calendar": "gregorian",
        "passport_expiry": (today + relativedelta(years=3)).isoformat(),
        "monthly_salary": "1500",
        "phone": "+639171234567",
        "language": "",
    }
    return data | overrides


def test_publishing_a_cv_with_a_photo(client, office):
    response = client.post(reverse("recruitment:cv_add"), cv_form(photo=picture("JPEG", "maria.jpg")))
    assert response.url == reverse("recruitment:cvs")
    cv = WorkerCV.objects.get(office=office)
    assert cv.language == "tl" and cv.photo
    listing = client.get(reverse("recruitment:cvs")).content.decode()
    assert "Maria Reyes" in listing
    photo = client.get(reverse("offices:cv_photo", args=[cv.pk]))
    assert photo["Content-Type"] == "image/jpeg"


def test_a_cv_breaking_the_rules_is_refused_with_clear_messages(client):
    contract_end = timezone.localdate() + relativedelta(months=24)
    response = client.post(
        reverse("recruitment:cv_add"),
        cv_form(
            passport_expiry=contract_end.isoformat(), monthly_salary="1200", photo=picture("GIF", "x.gif")
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The passport must stay valid after the 24-month contract" in page
    assert "The minimum monthly wage for workers from Philippines is 1,500 SAR." in page
    assert "Upload the photo as a JPEG or PNG picture." in page
    assert not WorkerCV.objects.exists()


def test_editing_and_withdrawing_a_cv(client, office):
    cv = WorkerCVFactory(office=office, name="Old Name")
    response = client.post(
        reverse("recruitment:cv_edit", args=[cv.pk]),
        cv_form(name="New Name", passport_number=cv.passport_number),
    )
    assert response.url == reverse("recruitment:cvs")
    cv.refresh_from_db()
    assert cv.name == "New Name"

    client.post(reverse("recruitment:cv_withdraw", args=[cv.pk]))
    cv.refresh_from_db()
    assert not cv.available
    assert "New Name" in client.get(reverse("recruitment:cvs"), {"show": "withdrawn"}).content.decode()
    assert client.get(reverse("recruitment:cv_withdraw", args=[cv.pk])).status_code == 404


def test_a_cv_under_contract_shows_it_cannot_change(client, office):
    cv = case(office).contracts.get().cv
    page = client.get(reverse("recruitment:cv_edit", args=[cv.pk])).content.decode()
    assert "contract in progress" in page
    response = client.post(reverse("recruitment:cv_edit", args=[cv.pk]), cv_form(name="Changed"))
    assert response.status_code == 200
    cv.refresh_from_db()
    assert cv.name != "Changed"


def test_a_delegate_of_the_office_keeps_the_price_list_under_a_recruitment_delegation(manager):
    for scope, status in ((DelegationScope.COMPLAINTS, 403), (DelegationScope.RECRUITMENT, 302)):
        granted = delegation(manager, scope)
        client = acting_for(client_for(granted.delegate), granted)
        assert client.post(reverse("recruitment:prices"), price_form(price="9000")).status_code == status
    event = AuditEvent.objects.get(action="office_price_set")
    assert event.on_behalf_of == manager and event.actor != manager


# --- who may open what ---------------------------------------------------------------------------

PEOPLE = [
    "anonymous",
    "household",
    "manager",
    "staff",
    "other_manager",
    Role.VISA_REVIEW,
    Role.COMPLAINTS,
    Role.LICENSING,
    Role.SUPERVISORS,
]


def person(kind, office):
    if kind == "anonymous":
        return None
    if kind == "household":
        return HouseholdFactory().user
    if kind == "manager":
        return manager_of(office)
    if kind == "staff":
        return staff_of(office)
    if kind == "other_manager":
        return manager_of(OfficeFactory())
    return ministry_officer(kind)


@pytest.mark.parametrize("kind", PEOPLE)
def test_permission_matrix_of_the_office_area(kind, office):
    entry = PriceListEntryFactory(office=office)
    cv = WorkerCVFactory(office=office)
    client = client_for(person(kind, office))
    own_pages = [
        reverse("recruitment:office_home"),
        reverse("recruitment:prices"),
        reverse("recruitment:cvs"),
        reverse("recruitment:cv_add"),
    ]
    object_pages = [
        reverse("recruitment:price_edit", args=[entry.pk]),
        reverse("recruitment:price_remove", args=[entry.pk]),
        reverse("recruitment:cv_edit", args=[cv.pk]),
        reverse("recruitment:cv_withdraw", args=[cv.pk]),
    ]
    expected_own, expected_objects = {
        "anonymous": (302, 302),
        "household": (403, 403),
        "manager": (200, 200),
        "staff": (200, 200),
        "other_manager": (200, 404),
    }.get(kind, (403, 403))
    for url in own_pages:
        response = client.get(url)
        assert response.status_code == expected_own, url
        if expected_own == 302:
            assert response.url.startswith(reverse("account_login"))
    for url in object_pages:
        assert client.get(url).status_code == expected_objects, url
    for url in object_pages[1::2]:  # the two that change something
        client.post(url)
    assert PriceListEntry.objects.filter(pk=entry.pk).exists() == (kind not in ("manager", "staff"))
    assert WorkerCV.objects.get(pk=cv.pk).available == (kind not in ("manager", "staff"))


def test_the_admin_shows_offices_prices_cvs_and_sanctions_read_only(office):
    admin = client_for(with_totp(UserFactory(roles=[], is_staff=True, is_superuser=True)))
    entry, cv, sanction = (
        PriceListEntryFactory(office=office),
        WorkerCVFactory(office=office),
        SanctionFactory(office=office),
    )
    for url in (
        reverse("admin:recruitment_pricelistentry_changelist"),
        reverse("admin:recruitment_workercv_changelist"),
        reverse("admin:recruitment_sanction_changelist"),
        reverse("admin:recruitment_pricelistentry_change", args=[entry.pk]),
        reverse("admin:recruitment_workercv_change", args=[cv.pk]),
        reverse("admin:recruitment_sanction_change", args=[sanction.pk]),
        reverse("admin:recruitment_office_change", args=[office.pk]),
    ):
        assert admin.get(url).status_code == 200, url
    assert admin.get(reverse("admin:recruitment_workercv_add")).status_code == 403

    office.cr_number = "4030111229"
    office.save()
    admin.post(
        reverse("admin:recruitment_office_changelist"),
        {"action": "check_registration", "_selected_action": [office.pk]},
    )
    office.refresh_from_db()
    assert office.cr_valid_until < timezone.localdate()
