"""Keeping the household's information up to date: profile, family, income and proofs, workers, history."""

import datetime as dt
import hashlib

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from households.models import EmployedWorker, HouseholdMember, IncomeProof, ProofKind
from musaned.accounts.models import AuditEvent, Delegation, DelegationScope
from musaned.accounts.roles import Role
from musaned.policy.models import Country, Occupation, RuleSet
from musaned.policy.services import rules_in_force
from tests.factories import MINIMAL_PDF, HouseholdFactory, UserFactory

from .conftest import fresh, profile_data, sign_in

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


@pytest.fixture
def owner(db):
    household = HouseholdFactory(user__first_name="Huda", user__last_name="Alharbi")
    return household


@pytest.fixture
def browser(client, owner):
    return sign_in(client, owner.user, language="en")


def day(days_ago: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat()


def upload(browser, content: bytes, name: str = "salary.pdf", **fields):
    data = {
        "kind": ProofKind.SALARY_CERTIFICATE,
        "issued_on_calendar": "gregorian",
        "issued_on": day(3),
        "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
        **fields,
    }
    return browser.post(reverse("households:proof_upload"), data)


# Profile ------------------------------------------------------------------------------------------


def test_the_profile_page_saves_contact_and_address_and_records_the_change(browser, owner):
    data = profile_data(owner, marital_status="divorced", city="جدة", district="الروضة", postal_code="23435")
    response = browser.post(reverse("households:profile"), data)
    assert response.status_code == 302
    changed = fresh(owner)
    assert (changed.marital_status, changed.city, changed.district, changed.postal_code) == (
        "divorced",
        "جدة",
        "الروضة",
        "23435",
    )
    event = AuditEvent.objects.get(action="household.profile_updated")
    assert event.actor == owner.user
    assert event.changes["marital_status"] == ["married", "divorced"]
    assert event.changes["postal_code"] == ["12211", "23435"]
    assert "national_id" not in event.changes


def test_a_malformed_address_is_refused_and_nothing_changes(browser, owner):
    response = browser.post(
        reverse("households:profile"), profile_data(owner, building_number="12", city="جدة")
    )
    assert response.status_code == 200
    assert "The building number has 4 digits." in response.content.decode()
    assert fresh(owner).city == owner.city
    assert not AuditEvent.objects.filter(action="household.profile_updated").exists()


def test_the_profile_page_is_in_arabic_by_default(client, owner):
    sign_in(client, owner.user)
    response = client.get(reverse("households:profile"))
    assert response["Content-Language"] == "ar"
    assert 'dir="rtl"' in response.content.decode()


# Finances and proofs ------------------------------------------------------------------------------


def test_income_and_balance(browser, owner):
    response = browser.post(
        reverse("households:income"), {"monthly_income": "15000", "bank_balance": "80000.50"}
    )
    assert response.status_code == 302
    assert str(fresh(owner).bank_balance) == "80000.50"
    event = AuditEvent.objects.get(action="household.finances_updated")
    assert event.changes["monthly_income"] == ["12000.00", "15000"]

    response = browser.post(reverse("households:income"), {"monthly_income": "-1", "bank_balance": ""})
    assert "Enter an amount of zero or more." in response.content.decode()
    assert fresh(owner).monthly_income == 15000


def test_a_pdf_proof_is_stored_privately_with_its_hash_and_can_be_downloaded(browser, owner):
    response = upload(browser, MINIMAL_PDF)
    assert response.status_code == 302
    proof = IncomeProof.objects.get(household=owner)
    assert proof.content_type == "application/pdf"
    assert proof.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert proof.size == len(MINIMAL_PDF)
    assert proof.uploaded_by == owner.user
    assert storages["private"].exists(proof.file.name)
    assert "salary" not in proof.file.name  # a random stored name

    download = browser.get(reverse("households:proof_download", args=[proof.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="salary.pdf"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == MINIMAL_PDF


def test_the_type_comes_from_the_content_not_the_name(browser, owner):
    assert upload(browser, PNG, name="statement.pdf").status_code == 302
    assert upload(browser, JPEG, name="scan.pdf").status_code == 302
    types = set(IncomeProof.objects.values_list("content_type", flat=True))
    assert types == {"image/png", "image/jpeg"}
    png = IncomeProof.objects.get(content_type="image/png")
    download = browser.get(reverse("households:proof_download", args=[png.pk]))
    assert download["Content-Type"] == "image/png"
    assert 'filename="statement.png"' in download["Content-Disposition"]


def test_an_executable_renamed_pdf_is_refused(browser, owner):
    response = upload(browser, EXE, name="salary.pdf")
    assert response.status_code == 200
    assert "Upload a PDF, JPEG or PNG document. This file is not one of them." in response.content.decode()
    assert not IncomeProof.objects.exists()
    assert not storages["private"].exists("proofs")


def test_an_oversized_file_is_refused(browser, owner, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = upload(browser, MINIMAL_PDF + b"%" * 2048)
    assert "The file is too large: the limit is 1.0\xa0KB." in response.content.decode()
    assert not IncomeProof.objects.exists()


def test_a_proof_older_than_the_rules_allow_is_refused(browser, owner):
    max_age = rules_in_force(on=timezone.localdate()).income_proof_max_age_days
    assert max_age == 60
    response = upload(browser, MINIMAL_PDF, issued_on=day(max_age + 1))
    assert (
        "This document is too old: it must have been issued in the last 60 days." in response.content.decode()
    )
    assert upload(browser, MINIMAL_PDF, issued_on=day(-1)).status_code == 200
    assert not IncomeProof.objects.exists()
    assert upload(browser, MINIMAL_PDF, issued_on=day(max_age)).status_code == 302


def test_the_age_limit_follows_the_rule_set_in_force(browser, owner):
    RuleSet.objects.create(name="Stricter", effective_from=timezone.localdate(), income_proof_max_age_days=30)
    response = upload(browser, MINIMAL_PDF, issued_on=day(45))
    assert "it must have been issued in the last 30 days." in response.content.decode()
    assert not IncomeProof.objects.exists()


def test_social_insurance_certificates_are_for_residents(client, browser, owner):
    response = upload(browser, MINIMAL_PDF, kind=ProofKind.SOCIAL_INSURANCE)
    assert response.status_code == 200
    assert not IncomeProof.objects.exists()

    resident = HouseholdFactory(resident=True, nationality=Country.objects.get(code="EG"))
    sign_in(client, resident.user, language="en")
    assert upload(client, MINIMAL_PDF, kind=ProofKind.SOCIAL_INSURANCE).status_code == 302
    assert IncomeProof.objects.get().household == resident


def test_removing_a_proof_deletes_the_file(browser, owner, django_capture_on_commit_callbacks):
    upload(browser, MINIMAL_PDF)
    proof = IncomeProof.objects.get()
    assert browser.get(reverse("households:proof_delete", args=[proof.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("households:proof_delete", args=[proof.pk]))
    assert response.status_code == 302
    assert not IncomeProof.objects.exists()
    assert not storages["private"].exists(proof.file.name)
    assert AuditEvent.objects.filter(action="household.proof_removed").exists()


# Members and workers ------------------------------------------------------------------------------


def test_members_can_be_added_changed_and_removed(browser, owner):
    response = browser.post(
        reverse("households:member_add"),
        {
            "name": "سارة",
            "relation": "daughter",
            "date_of_birth_calendar": "hijri",
            "date_of_birth": "1435-01-01",
            "national_id": "",
        },
    )
    assert response.status_code == 302
    member = HouseholdMember.objects.get(household=owner)
    assert member.date_of_birth == dt.date(2013, 11, 4)

    response = browser.post(
        reverse("households:member_edit", args=[member.pk]),
        {
            "name": "سارة",
            "relation": "daughter",
            "date_of_birth_calendar": "gregorian",
            "date_of_birth": "2013-11-04",
            "has_special_needs": "on",
        },
    )
    assert response.status_code == 302
    assert HouseholdMember.objects.get().has_special_needs

    response = browser.post(reverse("households:member_delete", args=[member.pk]))
    assert response.status_code == 302
    assert not HouseholdMember.objects.exists()
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["household.member_added", "household.member_updated", "household.member_removed"]


def test_a_member_with_an_invalid_id_is_refused(browser, owner):
    response = browser.post(
        reverse("households:member_add"),
        {
            "name": "Ali",
            "relation": "son",
            "date_of_birth_calendar": "gregorian",
            "date_of_birth": "2010-01-01",
            "national_id": "1234567890",
        },
    )
    assert "This national ID or iqama number is not valid" in response.content.decode()
    assert not HouseholdMember.objects.exists()


def worker_data(**overrides) -> dict:
    data = {
        "name": "Maria Santos",
        "nationality": Country.objects.get(code="PH").pk,
        "occupation": Occupation.objects.get(code="housemaid").pk,
        "iqama_number": "",
        "passport_number": "p1234567",
        "employed_since_calendar": "gregorian",
        "employed_since": "2023-05-01",
    }
    data.update(overrides)
    return data


def test_workers_can_be_added_changed_and_marked_as_ended(browser, owner):
    assert browser.post(reverse("households:worker_add"), worker_data()).status_code == 302
    worker = EmployedWorker.objects.get(household=owner)
    assert worker.passport_number == "P1234567"

    cook = Occupation.objects.get(code="cook")
    edit = reverse("households:worker_edit", args=[worker.pk])
    assert browser.post(edit, worker_data(occupation=cook.pk)).status_code == 302
    assert EmployedWorker.objects.get().occupation == cook

    end = reverse("households:worker_end", args=[worker.pk])
    response = browser.post(end, {"ended_on_calendar": "gregorian", "ended_on": "2023-01-01"})
    assert "The end date cannot be before the start date." in response.content.decode()
    assert EmployedWorker.objects.get().ended_on is None

    assert browser.post(end, {"ended_on_calendar": "gregorian", "ended_on": day(1)}).status_code == 302
    assert EmployedWorker.objects.get().ended_on == timezone.localdate() - dt.timedelta(days=1)
    assert browser.get(end).status_code == 404  # already ended
    assert AuditEvent.objects.filter(action="household.worker_ended").exists()


# History and delegates ----------------------------------------------------------------------------


def test_every_change_appears_on_the_history_page_with_who_made_it(browser, owner):
    browser.post(reverse("households:income"), {"monthly_income": "15000", "bank_balance": ""})
    browser.post(reverse("households:worker_add"), worker_data())
    browser.post(reverse("households:profile"), profile_data(owner, district="الروضة"))
    upload(browser, MINIMAL_PDF)

    page = browser.get(reverse("households:history")).content.decode()
    for text in (
        "Updated income and bank balance",
        "Added a domestic worker",
        "Updated the profile",
        "Uploaded an income proof",
        "Maria Santos",
        "Philippines",
        "الروضة",
        "Huda Alharbi",
    ):
        assert text in page


def test_a_delegate_with_the_profile_scope_acts_for_the_household(client, owner):
    delegate = UserFactory(first_name="Sami", last_name="Delegate", roles=[Role.HOUSEHOLD])
    delegation = Delegation.objects.create(
        principal=owner.user,
        delegate=delegate,
        scope=DelegationScope.PROFILE,
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    sign_in(client, delegate, language="en")
    client.post(reverse("accounts:act_as", args=[delegation.pk]))

    response = client.post(
        reverse("households:member_add"),
        {
            "name": "Ali",
            "relation": "son",
            "date_of_birth_calendar": "gregorian",
            "date_of_birth": "2010-01-01",
        },
    )
    assert response.status_code == 302
    assert HouseholdMember.objects.get().household == owner
    event = AuditEvent.objects.get(action="household.member_added")
    assert (event.actor, event.on_behalf_of) == (delegate, owner.user)

    page = client.get(reverse("households:history")).content.decode()
    assert "Sami Delegate, for Huda Alharbi" in page


def test_a_delegate_without_the_profile_scope_cannot_change_anything(client, owner):
    delegate = UserFactory(roles=[Role.HOUSEHOLD])
    delegation = Delegation.objects.create(
        principal=owner.user,
        delegate=delegate,
        scope=DelegationScope.COMPLAINTS,
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    sign_in(client, delegate, language="en")
    client.post(reverse("accounts:act_as", args=[delegation.pk]))
    assert client.get(reverse("households:dashboard")).status_code == 200
    assert client.get(reverse("households:members")).status_code == 403
    response = client.post(reverse("households:income"), {"monthly_income": "1", "bank_balance": ""})
    assert response.status_code == 403
    assert fresh(owner).monthly_income == 12000
