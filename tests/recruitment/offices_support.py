"""Helpers for the offices tests: people in each role, signed-in clients, pictures, and whole cases
built straight in the database for the scorecard."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from musaned.accounts.actor import Actor
from musaned.accounts.models import Delegation
from musaned.accounts.roles import Role
from musaned.policy.models import Country, Occupation, RuleSet
from recruitment.models import Contract, Offer, OfficeAssignment, RecruitmentRequest, RequestState
from tests.accounts.support import with_totp
from tests.factories import (
    HouseholdFactory,
    OfficeMembershipFactory,
    UserFactory,
    WorkerCVFactory,
)
from visas.models import Visa

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"
_numbers = itertools.count(1)


def client_for(user, language: str = "en") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(user, backend=LOGIN_BACKEND)
    return client


def acting_for(client: Client, delegation: Delegation) -> Client:
    session = client.session
    session["acting_delegation_id"] = delegation.pk
    session.save()
    return client


def manager_of(office):
    return with_totp(OfficeMembershipFactory(office=office).user)


def staff_of(office):
    user = UserFactory(roles=[Role.OFFICE_STAFF])
    OfficeMembershipFactory(office=office, user=user, role="staff")
    return with_totp(user)


def ministry_officer(role: str):
    return with_totp(UserFactory(roles=[role]))


def actor(user) -> Actor:
    return Actor.direct(user)


def delegation(principal, scope: str) -> Delegation:
    return Delegation.objects.create(
        principal=principal,
        delegate=UserFactory(roles=[]),
        scope=scope,
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )


def picture(kind: str = "PNG", name: str = "photo.png", size=(40, 40)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{kind.lower()}")


def rules() -> RuleSet:
    return RuleSet.objects.order_by("-effective_from").first()


# --- whole cases, straight in the database ---------------------------------------------------------


def case(
    office,
    *,
    state: str = RequestState.IN_PROCESS,
    household=None,
    paid_on: dt.date | None = None,
    due_on: dt.date | None = None,
    extended_to: dt.date | None = None,
    arrived_on: dt.date | None = None,
    price: Decimal = Decimal("10000"),
) -> RecruitmentRequest:
    """A request through `office` with a contract (paid when `paid_on` is given)."""
    household = household or HouseholdFactory()
    rule_set = rules()
    number = next(_numbers)
    visa = Visa.objects.create(
        reference=f"VA{number:08d}",
        number=f"4{number:09d}",
        household=household,
        applied_by=household.user,
        occupation=Occupation.objects.get(code="housemaid"),
        nationality=Country.objects.get(code="PH"),
        gender="female",
        arrival_city="RUH",
        stated_income=Decimal("12000"),
        rule_set=rule_set,
        fee_amount=Decimal("2000"),
        fee_formula="visa fee",
        state="issued",
    )
    request = RecruitmentRequest.objects.create(
        reference=f"RR{number:08d}",
        household=household,
        visa=visa,
        mode="specification",
        office=office,
        rule_set=rule_set,
        state=state,
        created_by=household.user,
    )
    cv = WorkerCVFactory(office=office, available=False)  # taken by this case
    offer = Offer.objects.create(
        request=request, office=office, cv=cv, price=price, delivery_days=60, state="selected"
    )
    noon = dt.time(12, 0)
    Contract.objects.create(
        request=request,
        offer=offer,
        office=office,
        cv=cv,
        rule_set=rule_set,
        price=price,
        vat_amount=price * Decimal("0.15"),
        total=price * Decimal("1.15"),
        monthly_salary=cv.monthly_salary,
        worker_language="tl",
        worker_token=f"token-{number}",
        worker_decision_due_at=timezone.now(),
        worker_accepted_at=timezone.now(),
        paid_at=_moment(paid_on, noon),
        delivery_due_on=due_on,
        extended_due_on=extended_to,
        arrived_at=_moment(arrived_on, noon),
    )
    return request


def _moment(day: dt.date | None, at: dt.time) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, at))


def assignment(office, outcome: str) -> OfficeAssignment:
    request = case(office, state=RequestState.AWAITING_OFFERS)
    return OfficeAssignment.objects.create(
        request=request, office=office, answer_due_at=timezone.now(), outcome=outcome
    )
