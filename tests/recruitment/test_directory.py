"""The public directory, office profiles, the comparison a household picks from, and the CV search."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from musaned.accounts.models import DelegationScope
from musaned.accounts.roles import Role
from musaned.policy.models import Country, Occupation
from recruitment.models import Offer, OfficeAssignment, OfficeRating, RequestState
from recruitment.selectors import offices_compare
from tests.factories import (
    HouseholdFactory,
    OfficeFactory,
    PriceListEntryFactory,
    SanctionFactory,
    WorkerCVFactory,
)
from tests.recruitment.offices_support import (
    acting_for,
    assignment,
    case,
    client_for,
    delegation,
    manager_of,
    ministry_officer,
    picture,
)

pytestmark = pytest.mark.django_db


def country(code):
    return Country.objects.get(code=code)


def occupation(code):
    return Occupation.objects.get(code=code)


def rate(office, *stars):
    for value in stars:
        OfficeRating.objects.create(request=case(office), office=office, stars=value)


@pytest.fixture
def offices():
    """Three offices pricing Filipino housemaids differently, one elsewhere, one suspended."""
    cheap = OfficeFactory(name_en="Cheap Office", city="جدة")
    fast = OfficeFactory(name_en="Fast Office")
    liked = OfficeFactory(name_en="Liked Office")
    PriceListEntryFactory(office=cheap, price=9000, delivery_days=80)
    PriceListEntryFactory(office=fast, price=12000, delivery_days=30)
    PriceListEntryFactory(office=liked, price=11000, delivery_days=60)
    PriceListEntryFactory(office=liked, nationality=country("KE"), price=8000, delivery_days=50)
    rate(liked, 5, 5)
    rate(fast, 3)
    assignment(fast, OfficeAssignment.Outcome.LATE)
    assignment(cheap, OfficeAssignment.Outcome.ANSWERED)
    suspended = OfficeFactory(name_en="Suspended Office")
    PriceListEntryFactory(office=suspended, price=8000)
    SanctionFactory(office=suspended, ends_on=timezone.localdate() + dt.timedelta(days=20))
    return {"cheap": cheap, "fast": fast, "liked": liked, "suspended": suspended}


def names(response):
    return [row.office.name_en for row in response.context["page"]]


def test_anyone_can_browse_offices_taking_requests(client, offices):
    client.cookies["django_language"] = "en"
    response = client.get(reverse("offices:list"))
    assert response.status_code == 200
    assert names(response) == ["Liked Office", "Fast Office", "Cheap Office"]  # best rated first
    page = response.content.decode()
    assert "Suspended Office" not in page and "5.0 / 5 (2 ratings)" in page


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("price", ["Cheap Office", "Liked Office", "Fast Office"]),
        ("delivery", ["Fast Office", "Liked Office", "Cheap Office"]),
        ("on_time", ["Cheap Office", "Fast Office", "Liked Office"]),  # no record yet comes last
    ],
)
def test_sorting(client, offices, sort, expected):
    nationality, job = country("PH").pk, occupation("housemaid").pk
    response = client.get(
        reverse("offices:list"), {"nationality": nationality, "occupation": job, "sort": sort}
    )
    assert names(response)[: len(expected)] == expected


def test_filters_and_the_price_for_the_chosen_kind_of_worker(client, offices):
    client.cookies["django_language"] = "en"
    response = client.get(reverse("offices:list"), {"nationality": country("KE").pk})
    assert names(response) == ["Liked Office"]
    assert "from 8,000 SAR" in response.content.decode()

    response = client.get(
        reverse("offices:list"),
        {"nationality": country("PH").pk, "occupation": occupation("housemaid").pk, "city": "جدة"},
    )
    assert names(response) == ["Cheap Office"]
    page = response.content.decode()
    assert "9,000 SAR" in page and "80 days" in page and "from 9,000" not in page

    response = client.get(reverse("offices:list"), {"occupation": occupation("private_driver").pk})
    assert names(response) == []
    assert "No office taking requests matches" in response.content.decode()


def test_a_directory_of_thirty_offices_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for number in range(30):
        office = OfficeFactory()
        PriceListEntryFactory(office=office, price=8000 + number * 10)
        if number % 3 == 0:
            rate(office, 4)
            assignment(office, OfficeAssignment.Outcome.ANSWERED)
    with django_assert_max_num_queries(15):  # form choices, rules in force, offices, five scorecard sums
        response = client.get(reverse("offices:list"), {"sort": "price", "nationality": country("PH").pk})
    assert response.context["page"].paginator.count == 30


def test_the_profile_shows_a_suspension_and_the_scorecard(client, offices):
    client.cookies["django_language"] = "en"
    page = client.get(reverse("offices:profile", args=[offices["suspended"].pk])).content.decode()
    assert "This office takes no new requests now." in page and "suspended this office until" in page
    assert "Did not answer complaints." in page

    page = client.get(reverse("offices:profile", args=[offices["liked"].pk])).content.decode()
    assert "Taking new requests" in page and "5.0 / 5 from 2 ratings" in page and "11,000 SAR" in page


def test_the_profile_of_an_office_no_longer_active_is_not_found(client):
    assert client.get(reverse("offices:profile", args=[OfficeFactory(active=False).pk])).status_code == 404


def test_the_profile_is_in_arabic_by_default(client, offices):
    page = client.get(reverse("offices:profile", args=[offices["liked"].pk])).content.decode()
    assert 'dir="rtl"' in page and offices["liked"].name_ar in page


def test_offices_compare_puts_those_taking_requests_first_with_reasons_for_the_rest(offices):
    expired = OfficeFactory(
        name_en="Expired Office", cr_valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    PriceListEntryFactory(office=expired, price=7000)
    above_new_ceiling = OfficeFactory(name_en="Too Dear")
    PriceListEntryFactory(office=above_new_ceiling, price=Decimal("14700.01"))
    with translation.override("en"):
        rows = offices_compare(nationality=country("PH"), occupation=occupation("housemaid"))
    assert [row.office.name_en for row in rows] == [
        "Cheap Office",
        "Liked Office",
        "Fast Office",
        "Expired Office",
        "Suspended Office",
    ]
    cheap, liked, fast, expired_row, suspended_row = rows
    assert cheap.accepts == (True, "") and cheap.price == Decimal("9000") and cheap.delivery_days == 80
    assert liked.rating == Decimal("5.0") and liked.rating_count == 2
    assert fast.on_time_rate == 0
    assert not expired_row.accepts[0] and "registration expired" in expired_row.accepts[1]
    assert not suspended_row.accepts[0] and "suspended" in suspended_row.accepts[1]

    in_jeddah = offices_compare(nationality=country("PH"), occupation=occupation("housemaid"), city="جدة")
    assert [row.office for row in in_jeddah] == [offices["cheap"]]


# --- CV search -------------------------------------------------------------------------------------


@pytest.fixture
def household():
    return HouseholdFactory()


def test_the_cv_search_is_for_households(client, offices):
    url = reverse("offices:cv_search")
    assert client.get(url).status_code == 302  # to sign in
    assert client_for(manager_of(offices["cheap"])).get(url).status_code == 403
    assert client_for(ministry_officer(Role.LICENSING)).get(url).status_code == 403


def test_households_find_available_cvs_of_offices_taking_requests(household, offices):
    shown = WorkerCVFactory(
        office=offices["cheap"], name="Shown Worker", experience_years=6, monthly_salary=1800
    )
    WorkerCVFactory(office=offices["cheap"], name="Withdrawn Worker", available=False)
    WorkerCVFactory(office=offices["suspended"], name="Suspended Office Worker")
    WorkerCVFactory(
        office=offices["fast"],
        name="Short Passport Worker",
        passport_expiry=timezone.localdate() + dt.timedelta(days=300),
    )
    WorkerCVFactory(
        office=offices["fast"],
        name="Kenyan Driver",
        nationality=country("KE"),
        occupation=occupation("private_driver"),
        gender="male",
        religion="muslim",
        languages="Swahili",
    )
    client = client_for(household.user)
    response = client.get(reverse("offices:cv_search"))
    assert {cv.name for cv in response.context["page"]} == {"Shown Worker", "Kenyan Driver"}

    def found(**filters):
        return [cv.name for cv in client.get(reverse("offices:cv_search"), filters).context["page"]]

    assert found(nationality=country("KE").pk) == ["Kenyan Driver"]
    assert found(gender="female", religion="christian") == ["Shown Worker"]
    assert found(language="swahili") == ["Kenyan Driver"]
    assert found(min_experience=5) == ["Shown Worker"]
    assert found(min_salary=1600, max_salary=2000) == ["Shown Worker"]
    assert found(occupation=occupation("private_driver").pk) == ["Kenyan Driver"]
    response = client.get(reverse("offices:cv_search"), {"min_salary": 2000, "max_salary": 1000})
    assert "must not be below" in response.content.decode()
    assert shown.pk


def test_the_cv_search_pages(household, offices):
    for _ in range(14):
        WorkerCVFactory(office=offices["liked"])
    client = client_for(household.user, language="ar")
    first = client.get(reverse("offices:cv_search"))
    second = client.get(reverse("offices:cv_search"), {"page": 2})
    assert len(first.context["page"]) == 12 and len(second.context["page"]) == 2
    assert 'dir="rtl"' in first.content.decode()


def test_a_delegate_searches_only_under_a_recruitment_delegation(household, offices):
    for scope, status in ((DelegationScope.PROFILE, 403), (DelegationScope.RECRUITMENT, 200)):
        granted = delegation(household.user, scope)
        client = acting_for(client_for(granted.delegate), granted)
        assert client.get(reverse("offices:cv_search")).status_code == status


# --- who sees a CV and its photo -------------------------------------------------------------------


def test_who_sees_a_cv_and_its_photo(household, offices):
    cv = WorkerCVFactory(office=offices["cheap"], photo=picture("JPEG", "face.jpg"))
    hidden = WorkerCVFactory(office=offices["cheap"], photo=picture(), available=False)
    urls = lambda item: (  # noqa: E731
        reverse("offices:cv_detail", args=[item.pk]),
        reverse("offices:cv_photo", args=[item.pk]),
    )

    household_client = client_for(household.user)
    for url in urls(cv):
        assert household_client.get(url).status_code == 200
    photo = household_client.get(urls(cv)[1])
    assert photo["Content-Type"] == "image/jpeg" and photo["Cache-Control"] == "private, no-store"
    assert cv.passport_number not in household_client.get(urls(cv)[0]).content.decode()  # not from the search
    for url in urls(hidden):
        assert household_client.get(url).status_code == 404

    own_office = client_for(manager_of(offices["cheap"]))
    for url in (*urls(cv), *urls(hidden)):
        assert own_office.get(url).status_code == 200
    assert hidden.passport_number in own_office.get(urls(hidden)[0]).content.decode()

    other_office = client_for(manager_of(offices["fast"]))
    officer = client_for(ministry_officer(Role.LICENSING))
    for url in urls(cv):
        assert other_office.get(url).status_code == 404
        assert officer.get(url).status_code == 404
        assert client_for(None).get(url).status_code == 302


def test_a_household_sees_a_cv_offered_to_it_even_once_withdrawn(household, offices):
    request = case(offices["cheap"], household=household, state=RequestState.OFFERS_SENT)
    offered = WorkerCVFactory(office=offices["cheap"], available=False)
    Offer.objects.create(request=request, office=offices["cheap"], cv=offered, price=9000, delivery_days=80)
    client = client_for(household.user)
    page = client.get(reverse("offices:cv_detail", args=[offered.pk]))
    assert page.status_code == 200 and offered.passport_number in page.content.decode()
    assert (
        client_for(HouseholdFactory().user).get(reverse("offices:cv_detail", args=[offered.pk])).status_code
        == 404
    )
