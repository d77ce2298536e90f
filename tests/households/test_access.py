"""Nobody sees what isn't theirs: other households get "not found"; officers see files by permission."""

import pytest
from django.urls import reverse

from households.models import EmployedWorker, HouseholdMember, IncomeProof
from tests.factories import EmployedWorkerFactory, HouseholdFactory, IncomeProofFactory, national_id

from .conftest import fresh, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(db):
    """Another household with one of everything."""
    household = HouseholdFactory(name_en="Other Family")
    HouseholdMember.objects.create(
        household=household, name="Other child", relation="son", date_of_birth="2012-01-01"
    )
    EmployedWorkerFactory(household=household)
    IncomeProofFactory(household=household)
    return household


def object_urls(household):
    member = household.members.get()
    worker = household.workers.get()
    proof = household.income_proofs.get()
    return [
        reverse("households:member_edit", args=[member.pk]),
        reverse("households:member_delete", args=[member.pk]),
        reverse("households:worker_edit", args=[worker.pk]),
        reverse("households:worker_end", args=[worker.pk]),
        reverse("households:proof_download", args=[proof.pk]),
        reverse("households:proof_delete", args=[proof.pk]),
    ]


def test_a_household_cannot_see_or_change_another_households_records(client, household, other):
    sign_in(client, household.user)
    for url in object_urls(other):
        assert client.get(url).status_code == 404, url
        assert (
            client.post(
                url, {"name": "changed", "ended_on_calendar": "gregorian", "ended_on": "2024-01-01"}
            ).status_code
            == 404
        ), url
    assert HouseholdMember.objects.get(household=other).name == "Other child"
    assert EmployedWorker.objects.get(household=other).ended_on is None
    assert IncomeProof.objects.filter(household=other).count() == 1
    assert client.get(reverse("households:officer_detail", args=[other.pk])).status_code == 403
    assert (
        client.get(reverse("households:officer_search"), {"national_id": other.national_id}).status_code
        == 403
    )
    # its own pages never show the other household
    for name in ("members", "workers", "income", "history"):
        page = client.get(reverse(f"households:{name}")).content.decode()
        assert "Other child" not in page and "Other Family" not in page


def test_a_visa_review_officer_finds_the_file_and_downloads_its_proofs(client, visa_officer, other):
    sign_in(client, visa_officer, language="en")
    response = client.get(reverse("households:officer_search"), {"national_id": other.national_id})
    detail = reverse("households:officer_detail", args=[other.pk])
    assert response.status_code == 302
    assert response["Location"] == detail

    page = client.get(detail).content.decode()
    proof = other.income_proofs.get()
    assert "Other Family" in page and "Other child" in page and "Maria Santos" in page
    download_url = reverse("households:proof_download", args=[proof.pk])
    assert download_url in page
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    sign_in(client, other.user, language="en")
    history = client.get(reverse("households:history")).content.decode()
    assert "A ministry officer downloaded a document" in history
    assert str(visa_officer) in history
    sign_in(client, visa_officer)

    # officers look; they do not edit a household's records
    for url in object_urls(other):
        if url != download_url:
            assert client.get(url).status_code == 403, url


def test_the_search_is_exact_and_says_when_nothing_is_found(client, visa_officer, other):
    sign_in(client, visa_officer, language="en")
    response = client.get(reverse("households:officer_search"), {"national_id": other.national_id[:9]})
    assert response.status_code == 200
    assert "A national ID or iqama number has exactly 10 digits." in response.content.decode()
    unknown = national_id("1")
    response = client.get(reverse("households:officer_search"), {"national_id": unknown})
    assert "No household is registered with this national ID or iqama number." in response.content.decode()


def test_a_complaints_officer_sees_the_file_but_not_the_documents(client, complaints_officer, other):
    sign_in(client, complaints_officer)
    proof = other.income_proofs.get()
    page = client.get(reverse("households:officer_detail", args=[other.pk])).content.decode()
    assert proof.original_name in page
    assert reverse("households:proof_download", args=[proof.pk]) not in page
    assert client.get(reverse("households:proof_download", args=[proof.pk])).status_code == 404


def test_an_office_user_sees_no_household_data(client, office_user, other):
    sign_in(client, office_user)
    assert client.get(reverse("households:officer_search")).status_code == 403
    assert client.get(reverse("households:officer_detail", args=[other.pk])).status_code == 403
    assert client.get(reverse("households:dashboard")).status_code == 403
    for url in object_urls(other):
        assert client.get(url).status_code in (403, 404), url


def test_an_unknown_file_is_not_found_for_officers(client, visa_officer):
    sign_in(client, visa_officer)
    assert client.get(reverse("households:officer_detail", args=[999999])).status_code == 404
    assert client.get(reverse("households:proof_download", args=[999999])).status_code == 404


def test_visitors_must_sign_in(client, other):
    for url in [*object_urls(other), reverse("households:dashboard"), reverse("households:officer_search")]:
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
    assert fresh(other).pk == other.pk


# Query counts -------------------------------------------------------------------------------------


@pytest.fixture
def big_household(db):
    household = HouseholdFactory()
    HouseholdMember.objects.bulk_create(
        HouseholdMember(household=household, name=f"Child {n}", relation="son", date_of_birth="2010-01-01")
        for n in range(40)
    )
    for _ in range(25):
        EmployedWorkerFactory(household=household)
        IncomeProofFactory(household=household)
    return household


@pytest.mark.parametrize(
    ("name", "limit"), [("dashboard", 24), ("members", 16), ("workers", 16), ("income", 16)]
)
def test_list_pages_use_a_bounded_number_of_queries(
    client, big_household, name, limit, django_assert_max_num_queries
):
    sign_in(client, big_household.user)
    with django_assert_max_num_queries(limit):
        response = client.get(reverse(f"households:{name}"))
    assert response.status_code == 200


def test_the_history_page_uses_a_bounded_number_of_queries(
    client, big_household, django_assert_max_num_queries
):
    sign_in(client, big_household.user, language="en")
    for district in ("أ", "ب", "ج"):
        client.post(
            reverse("households:income"), {"monthly_income": str(len(district) * 1000), "bank_balance": ""}
        )
    for worker in big_household.workers.all()[:20]:
        client.post(
            reverse("households:worker_end", args=[worker.pk]),
            {"ended_on_calendar": "gregorian", "ended_on": "2024-06-01"},
        )
    with django_assert_max_num_queries(16):
        response = client.get(reverse("households:history"))
    assert response.status_code == 200
    assert response.content.decode().count("Ended a domestic worker&#x27;s employment") == 20


def test_the_officer_file_uses_a_bounded_number_of_queries(
    client, visa_officer, big_household, django_assert_max_num_queries
):
    sign_in(client, visa_officer)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("households:officer_detail", args=[big_household.pk]))
    assert response.status_code == 200
