"""Shared set-up for the visa tests: people, an eligible household, and the steps of a case.

The officers' application is mounted where the site mounts it (/ministry/visas/) through
officer_site_urls; the visa-review group and the supervisors get the visa permissions they hold.
conftest.py offers the fixtures to every module here.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import storages
from django.utils import timezone

from households.models import IncomeProof, ProofKind
from musaned.accounts.actor import Actor
from musaned.accounts.roles import Role
from musaned.billing.services import payment_callback_handle
from musaned.documents.models import Document
from musaned.integrations.base import gateway
from musaned.policy.models import Country, Occupation
from tests.accounts.support import with_totp
from tests.factories import MINIMAL_PDF, HouseholdFactory, IncomeProofFactory, UserFactory
from visas import services
from visas.models import Visa

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"
# What the visa-review group needs: deciding, and seeing the visa process in the workflow application.
REVIEWER_PERMISSIONS = ("visas.review_visa", "visas.view_visaprocess")


def grant(role: str, *dotted: str) -> None:
    group = Group.objects.get(name=role)
    for name in dotted:
        app_label, codename = name.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def fresh(visa: Visa) -> Visa:
    """Read again (the state field cannot be refreshed in place)."""
    return Visa.objects.get(pk=visa.pk)


def occupation(code: str = "housemaid") -> Occupation:
    return Occupation.objects.get(code=code)


def country(code: str = "PH") -> Country:
    return Country.objects.get(code=code)


@pytest.fixture(autouse=True)
def _visa_domain_setup(settings, monkeypatch, db):
    """Files in the test's private folder, the officers' application mounted, the roles' visa permissions."""
    settings.ROOT_URLCONF = "tests.visas.officer_site_urls"
    monkeypatch.setattr(IncomeProof._meta.get_field("file"), "storage", storages["private"])
    monkeypatch.setattr(Document._meta.get_field("pdf"), "storage", storages["private"])
    grant(Role.VISA_REVIEW, *REVIEWER_PERMISSIONS)
    grant(Role.SUPERVISORS, "visas.supervise_visa_review")


@pytest.fixture
def quick_pdfs(monkeypatch):
    """Documents are still issued, hashed and stored, with a stand-in PDF (rendering: test_document.py)."""
    monkeypatch.setattr("musaned.documents.services.render_pdf", lambda **kwargs: MINIMAL_PDF)


@pytest.fixture
def household(db):
    """A citizen with a fresh salary certificate: eligible for one visa, declared income 12,000 SAR."""
    household = HouseholdFactory()
    IncomeProofFactory(household=household, kind=ProofKind.SALARY_CERTIFICATE)
    return household


@pytest.fixture
def officer(db):
    return with_totp(UserFactory(roles=[Role.VISA_REVIEW], first_name="Officer", last_name="One"))


@pytest.fixture
def second_officer(db):
    return with_totp(UserFactory(roles=[Role.VISA_REVIEW], first_name="Officer", last_name="Two"))


@pytest.fixture
def supervisor(db):
    return with_totp(UserFactory(roles=[Role.SUPERVISORS], first_name="Supervisor"))


@pytest.fixture
def apply(django_capture_on_commit_callbacks):
    """Apply as the household (or `actor`), with the after-commit work run as it would be."""

    def run(household, *, actor=None, **overrides):
        values = {
            "occupation": occupation(),
            "nationality": country(),
            "gender": "female",
            "arrival_city": "RUH",
            "stated_income": household.monthly_income or Decimal("12000"),
        }
        values.update(overrides)
        with django_capture_on_commit_callbacks(execute=True):
            return services.visa_apply(actor=actor or Actor.direct(household.user), **values)

    return run


@pytest.fixture
def pay(django_capture_on_commit_callbacks):
    """Pay the visa's bill at the fake payment service; its signed callback goes through billing."""

    def run(visa):
        bill = fresh(visa).bill
        payment = gateway("payment")
        with django_capture_on_commit_callbacks(execute=True):
            payment.pay(bill_number=bill.number)
            body, signature = payment.callback(bill_number=bill.number)
            answer = payment_callback_handle(body=body, signature=signature)
        assert answer.status == 200, answer.body
        return fresh(visa)

    return run


@pytest.fixture
def decide(django_capture_on_commit_callbacks):
    def run(officer, visa, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.visa_decide(actor=Actor.direct(officer), visa=visa, **kwargs)

    return run


@pytest.fixture
def replace(django_capture_on_commit_callbacks):
    """Open a replacement as the recruitment stage does (the system acting), after-commit work run."""

    def run(visa, *, arrival_on, exit_on, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            return services.visa_replace(visa=visa, arrival_on=arrival_on, exit_on=exit_on, actor=actor)

    return run


def referred_household(**kwargs):
    """A household whose application the rules send to an officer: the income proof is a bank statement."""
    household = HouseholdFactory(bank_balance=Decimal("50000"), **kwargs)
    IncomeProofFactory(household=household, kind=ProofKind.BANK_STATEMENT)
    return household


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)
