"""Recruitment cases and the people around them, built row by row for the complaint tests.

A case is made in the state a test needs, with its contract and, once paid, its bill (known to the fake
payment service too, so that a refund can really be sent back).
"""

import datetime as dt
import secrets
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from musaned.accounts.actor import Actor
from musaned.accounts.roles import Role
from musaned.billing.models import Bill, BillPurpose, BillState
from musaned.integrations.models import FakeBill
from musaned.policy.models import Country, Occupation
from musaned.policy.services import rules_in_force
from recruitment.models import (
    Contract,
    Offer,
    OfferState,
    RecruitmentRequest,
    RequestMode,
    RequestState,
    TrustEntry,
    TrustEntryKind,
    WorkerCV,
)
from tests.accounts.support import with_totp
from tests.factories import HouseholdFactory, OfficeFactory, OfficeMembershipFactory, UserFactory
from visas.models import Visa, VisaState

PRICE = Decimal("15000.00")
VAT = Decimal("2250.00")
TOTAL = Decimal("17250.00")
WORKER_PHONE = "+639171234567"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _digits(count: int) -> str:
    return str(10 ** (count - 1) + secrets.randbelow(9 * 10 ** (count - 1)))


def make_case(
    *,
    state: str = RequestState.IN_PROCESS,
    household=None,
    office=None,
    paid: bool | None = None,
    worker_phone: str = WORKER_PHONE,
) -> RecruitmentRequest:
    """A recruitment case in `state`, with a contract the worker accepted; paid from IN_PROCESS on."""
    now = timezone.now()
    rule_set = rules_in_force(on=timezone.localdate())
    country, occupation = Country.objects.get(code="PH"), Occupation.objects.get(code="housemaid")
    household = household or HouseholdFactory(user__preferred_language="en")
    office = office or OfficeFactory()
    visa = Visa.objects.create(
        reference="V" + _digits(9),
        number=_digits(10),
        household=household,
        applied_by=household.user,
        occupation=occupation,
        nationality=country,
        gender="female",
        arrival_city="RUH",
        stated_income=Decimal("12000"),
        rule_set=rule_set,
        fee_amount=Decimal("2000"),
        fee_formula="Visa fee 2,000 SAR",
        state=VisaState.ISSUED,
        issued_at=now,
        valid_until=timezone.localdate() + dt.timedelta(days=700),
    )
    cv = WorkerCV.objects.create(
        office=office,
        name="Maricel Dela Cruz",
        nationality=country,
        occupation=occupation,
        gender="female",
        date_of_birth=dt.date(1994, 5, 2),
        religion="christian",
        marital_status="single",
        languages="English, Tagalog",
        experience_years=4,
        passport_number="P" + _digits(7),
        passport_expiry=timezone.localdate() + dt.timedelta(days=1500),
        monthly_salary=Decimal("1500"),
        phone=worker_phone,
        language="en",
    )
    request = RecruitmentRequest.objects.create(
        reference="R" + _digits(9),
        household=household,
        visa=visa,
        mode=RequestMode.SPECIFICATION,
        office=office,
        rule_set=rule_set,
        state=state,
        created_by=household.user,
    )
    offer = Offer.objects.create(
        request=request, office=office, cv=cv, price=PRICE, delivery_days=90, state=OfferState.SELECTED
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
        contract_months=rule_set.contract_months,
        monthly_salary=cv.monthly_salary,
        worker_language="en",
        worker_token=secrets.token_urlsafe(32),
        worker_decision_due_at=now + dt.timedelta(days=rule_set.worker_acceptance_days),
        worker_accepted_at=now,
    )
    if paid is None:
        paid = state not in (RequestState.AWAITING_WORKER, RequestState.AWAITING_PAYMENT)
    if paid:
        pay(contract)
    return request


def pay(contract: Contract) -> Bill:
    """The contract's bill, paid: at the bank (the fake payment service) and on the platform."""
    now = timezone.now()
    household = contract.request.household
    payment_ref = "PAY" + _digits(12)
    bill = Bill.objects.create(
        number=_digits(12),
        purpose=BillPurpose.CONTRACT,
        payer=household.user,
        subject_type=ContentType.objects.get_for_model(Contract),
        subject_id=contract.pk,
        amount=contract.total,
        vat_amount=contract.vat_amount,
        formula="15,000 SAR + 15% VAT",
        rule_set=contract.rule_set,
        due_at=now + dt.timedelta(days=3),
        state=BillState.PAID,
        paid_at=now,
        paid_amount=contract.total,
        payment_ref=payment_ref,
        gateway_reference=_digits(10),
        registered_at=now,
    )
    FakeBill.objects.create(
        bill_number=bill.number,
        reference=bill.gateway_reference,
        amount=bill.amount,
        currency="SAR",
        due=timezone.localdate() + dt.timedelta(days=3),
        paid_amount=bill.amount,
        paid_at=now,
        payment_ref=payment_ref,
    )
    contract.bill, contract.paid_at = bill, now
    contract.delivery_due_on = timezone.localdate() + dt.timedelta(days=91)
    contract.save(update_fields=["bill", "paid_at", "delivery_due_on"])
    TrustEntry.objects.create(
        request=contract.request,
        kind=TrustEntryKind.HELD,
        amount=contract.total,
        formula="Paid in full and held in trust",
        rule_set=contract.rule_set,
        key=f"held-{contract.pk}",
    )
    return bill


def contract_of(request: RecruitmentRequest) -> Contract:
    return request.contracts.get()


def office_staff(office, role: str = Role.OFFICE_STAFF):
    user = UserFactory(roles=[role], first_name="Noura", preferred_language="en")
    OfficeMembershipFactory(
        office=office, user=user, role="manager" if role == Role.OFFICE_MANAGER else "staff"
    )
    return with_totp(user)


def officer(role: str = Role.COMPLAINTS, **extra):
    return with_totp(UserFactory(roles=[role], first_name="Officer", preferred_language="en", **extra))


def client_for(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def actor(user) -> Actor:
    return Actor.direct(user)
