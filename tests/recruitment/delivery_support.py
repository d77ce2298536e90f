"""Set-up shared by the delivery tests: a case whose worker has accepted the contract, its people, and
the steps of its life (payment through the fake payment service, milestones, arrival, hand-over).

Households here read their messages in English so that the tests can read the formulas stored for them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from musaned.accounts.actor import Actor
from musaned.accounts.models import User
from musaned.accounts.roles import Role
from musaned.billing.models import Bill
from musaned.integrations.base import gateway
from musaned.policy.models import Country, Occupation
from musaned.policy.services import rules_in_force
from recruitment import delivery
from recruitment.models import (
    MILESTONE_ORDER,
    Contract,
    Offer,
    OfferState,
    Office,
    RecruitmentRequest,
    RequestMode,
    RequestState,
    WorkerCV,
)
from tests.accounts.support import with_totp
from tests.factories import MINIMAL_PDF, HouseholdFactory, OfficeFactory, OfficeMembershipFactory, UserFactory
from visas.models import Visa, VisaState

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"
PRICE = Decimal("14000.00")
VAT = Decimal("2100.00")
TOTAL = Decimal("16100.00")
OFFER_DAYS = 60
ABROAD_PASSPORT = "P7001230"  # the fake passports service: last digit 0 = still abroad
ARRIVED_PASSPORT = "P7001233"  # 1 to 5 = arrived today
WORKER_PHONE = "+639171234567"


@dataclass
class Case:
    household: Household
    office: Office
    staff: User
    request: RecruitmentRequest
    contract: Contract

    @property
    def reference(self) -> str:
        return self.request.reference

    def fresh(self) -> RecruitmentRequest:
        """Read the request again (its state field cannot be refreshed in place)."""
        return RecruitmentRequest.objects.get(pk=self.request.pk)

    def fresh_contract(self) -> Contract:
        return Contract.objects.select_related("bill").get(pk=self.contract.pk)

    def url(self, name: str = "case", *args) -> str:
        return reverse(f"delivery:{name}", args=[self.reference, *args])


def signed_in(user: User, language: str = "en") -> Client:
    client = Client()
    client.force_login(user, backend=LOGIN_BACKEND)
    client.cookies["django_language"] = language
    return client


def office_staff(office: Office) -> User:
    user = UserFactory(roles=[Role.OFFICE_STAFF], first_name="Noura", last_name="Staff")
    OfficeMembershipFactory(office=office, user=user, role="staff")
    return with_totp(user)


def _issued_visa(household: Household, *, issued_days_ago: int = 20) -> Visa:
    today, rule_set = timezone.localdate(), rules_in_force(on=timezone.localdate())
    issued_at = timezone.now() - dt.timedelta(days=issued_days_ago)
    return Visa.objects.create(
        reference="VA-" + secrets.token_hex(6),
        number="6" + "".join(secrets.choice("0123456789") for _ in range(9)),
        household=household,
        applied_by=household.user,
        occupation=Occupation.objects.get(code="housemaid"),
        nationality=Country.objects.get(code="PH"),
        gender="female",
        arrival_city="RUH",
        stated_income=Decimal("12000"),
        rule_set=rule_set,
        fee_amount=Decimal("2300"),
        fee_formula="2,000 SAR + VAT",
        state=VisaState.ISSUED,
        issued_at=issued_at,
        decided_at=issued_at,
        valid_until=today + dt.timedelta(days=700),
    )


def accepted_case(*, passport: str = ABROAD_PASSPORT, visa_issued_days_ago: int = 20) -> Case:
    """A case waiting for payment: the household chose a worker and she accepted the contract."""
    household = HouseholdFactory()
    User.objects.filter(pk=household.user_id).update(preferred_language="en")
    household.user.preferred_language = "en"
    office = OfficeFactory(name_en="Al Nakheel Recruitment")
    staff = office_staff(office)
    rule_set = rules_in_force(on=timezone.localdate())
    visa = _issued_visa(household, issued_days_ago=visa_issued_days_ago)
    cv = WorkerCV.objects.create(
        office=office,
        name="Maria Santos",
        nationality=visa.nationality,
        occupation=visa.occupation,
        gender="female",
        date_of_birth=dt.date(1994, 5, 2),
        religion="christian",
        marital_status="single",
        languages="Tagalog, English",
        experience_years=4,
        passport_number=passport,
        passport_expiry=timezone.localdate() + dt.timedelta(days=1500),
        monthly_salary=Decimal("1500"),
        phone=WORKER_PHONE,
        language="en",
    )
    request = RecruitmentRequest.objects.create(
        reference="RQ-" + secrets.token_hex(5).upper(),
        household=household,
        visa=visa,
        mode=RequestMode.SPECIFICATION,
        office=office,
        rule_set=rule_set,
        state=RequestState.AWAITING_PAYMENT,
        created_by=household.user,
    )
    offer = Offer.objects.create(
        request=request,
        office=office,
        cv=cv,
        price=PRICE,
        delivery_days=OFFER_DAYS,
        state=OfferState.SELECTED,
    )
    contract = Contract.objects.create(
        request=request,
        offer=offer,
        office=office,
        cv=cv,
        rule_set=rule_set,
        price=PRICE,
        vat_amount=VAT,
        total=TOTAL,
        contract_months=24,
        monthly_salary=Decimal("1500"),
        worker_language="en",
        worker_token=secrets.token_urlsafe(32),
        worker_decision_due_at=timezone.now() + dt.timedelta(days=5),
        worker_accepted_at=timezone.now(),
    )
    return Case(household=household, office=office, staff=staff, request=request, contract=contract)


def bill(case: Case, capture) -> Bill:
    """Issue the contract's bill as the requests stage does when the worker accepts."""
    with capture(execute=True):
        return delivery.contract_bill_issue(contract=case.contract)


def bank_pays(bill_number: str) -> tuple[bytes, str]:
    """The household pays at the bank: the fake payment service gives its signed callback."""
    payment = gateway("payment")
    payment.pay(bill_number=bill_number)
    return payment.callback(bill_number=bill_number)


def post_callback(client: Client, body: bytes, signature: str):
    return client.post(
        reverse("billing:callback"),
        data=body,
        content_type="application/json",
        HTTP_X_PAYMENT_SIGNATURE=signature,
    )


def paid_case(capture, **kwargs) -> Case:
    """A case paid through the payment service's signed callback: the money is held in trust."""
    case = accepted_case(**kwargs)
    issued = bill(case, capture)
    with capture(execute=True):
        assert post_callback(Client(), *bank_pays(issued.number)).json() == {"status": "accepted"}
    return case


def report(case: Case, capture, kind: str, occurred_on: dt.date | None = None, document=None):
    with capture(execute=True):
        return delivery.milestone_report(
            actor=Actor.direct(case.staff),
            request=case.fresh(),
            kind=kind,
            occurred_on=occurred_on or timezone.localdate(),
            note="",
            document=document,
        )


def report_up_to(case: Case, capture, last: str) -> None:
    """Report every step in order up to and including `last`."""
    for kind in MILESTONE_ORDER[: MILESTONE_ORDER.index(last) + 1]:
        report(case, capture, kind)


def arrived_case(capture, **kwargs) -> Case:
    """Paid, every step reported, and the office confirmed the arrival an hour ago."""
    case = paid_case(capture, **kwargs)
    report_up_to(case, capture, MILESTONE_ORDER[-1])
    with capture(execute=True):
        delivery.arrival_confirm_by_office(
            actor=Actor.direct(case.staff), request=case.fresh(), at=timezone.now() - dt.timedelta(hours=1)
        )
    return case


def handed_over_case(capture, **kwargs) -> Case:
    case = arrived_case(capture, **kwargs)
    with capture(execute=True):
        delivery.handover_confirm(actor=Actor.direct(case.household.user), request=case.fresh())
    return case


def pdf_upload(name: str = "stamp.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


def shift_clock(monkeypatch, days: int = 0, hours: int = 0) -> None:
    """Move the platform's clock forward (services read timezone.now and timezone.localdate)."""
    real_now = timezone.now
    offset = dt.timedelta(days=days, hours=hours)
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset)


def quick_pdfs(monkeypatch) -> None:
    """Receipts are still issued and stored, with a stand-in PDF: rendering is tested with billing."""
    monkeypatch.setattr("musaned.documents.services.render_pdf", lambda **kwargs: MINIMAL_PDF)
