"""Set-up shared by the request, contract and worker tests: a household with a visa, offices with staff,
price lists and CVs, and the steps of a request taken over HTTP by the person who takes them.

People read their pages and messages in English here, except where a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from households.models import Household
from musaned.accounts.models import User
from musaned.accounts.roles import Role
from musaned.policy.models import Country, Occupation
from musaned.policy.services import rules_in_force
from musaned.workflow import fire_workflow_timers
from recruitment.flows import RecruitmentFlow
from recruitment.models import (
    Contract,
    Office,
    RecruitmentProcess,
    RecruitmentRequest,
    WorkerCV,
)
from tests.accounts.support import with_totp
from tests.factories import (
    MINIMAL_PDF,
    HouseholdFactory,
    OfficeFactory,
    OfficeMembershipFactory,
    PriceListEntryFactory,
    UserFactory,
    WorkerCVFactory,
)
from visas.models import Visa, VisaState

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"
PRICE = Decimal("12000.00")
WORKER_PHONE = "+639171234567"


def quick_pdfs(monkeypatch) -> None:
    """Contracts are still issued, hashed and stored, with a stand-in PDF (rendering: test_contract*.py)."""
    monkeypatch.setattr("musaned.documents.services.render_pdf", lambda **kwargs: MINIMAL_PDF)


def fresh(request: RecruitmentRequest) -> RecruitmentRequest:
    """Read the request again (its state field cannot be refreshed in place)."""
    return RecruitmentRequest.objects.get(pk=request.pk)


def signed_in(user: User, language: str = "en") -> Client:
    client = Client()
    client.force_login(user, backend=LOGIN_BACKEND)
    client.cookies["django_language"] = language
    return client


def english_household(**kwargs) -> Household:
    household = HouseholdFactory(**kwargs)
    User.objects.filter(pk=household.user_id).update(preferred_language="en")
    household.user.preferred_language = "en"
    return household


def visa_for(household: Household, *, state: str = VisaState.ISSUED, country: str = "PH") -> Visa:
    """A visa of the household: issued three weeks ago by default, or still on its way."""
    issued = state in (VisaState.ISSUED, VisaState.ACTIVATED, VisaState.USED)
    issued_at = timezone.now() - dt.timedelta(days=20) if issued else None
    return Visa.objects.create(
        reference="VA-" + secrets.token_hex(6),
        number="6" + "".join(secrets.choice("0123456789") for _ in range(9)) if issued else None,
        household=household,
        applied_by=household.user,
        occupation=Occupation.objects.get(code="housemaid"),
        nationality=Country.objects.get(code=country),
        gender="female",
        arrival_city="RUH",
        stated_income=Decimal("12000"),
        rule_set=rules_in_force(on=timezone.localdate()),
        fee_amount=Decimal("2000"),
        fee_formula="Visa fee 2,000 SAR",
        state=state,
        issued_at=issued_at,
        decided_at=issued_at,
        valid_until=timezone.localdate() + dt.timedelta(days=700) if issued else None,
    )


def office_with_staff(name: str, *, cvs: int = 2, phone: str = WORKER_PHONE) -> tuple[Office, User]:
    """An office taking requests for Filipino housemaids, one staff member (with TOTP) and its CVs."""
    office = OfficeFactory(name_en=name, name_ar=f"مكتب {name}")
    staff = UserFactory(
        roles=[Role.OFFICE_STAFF], first_name="Staff", last_name=name, preferred_language="en"
    )
    OfficeMembershipFactory(office=office, user=staff, role="staff")
    PriceListEntryFactory(office=office, price=PRICE, delivery_days=60)
    for number in range(cvs):
        WorkerCVFactory(office=office, name=f"{name} Worker {number + 1}", phone=phone)
    return office, with_totp(staff)


def process_of(request: RecruitmentRequest) -> RecruitmentProcess:
    return RecruitmentProcess.objects.get(artifact_object_id=request.pk, flow_class=RecruitmentFlow)


def open_tasks(request: RecruitmentRequest) -> list[str]:
    """The names of the process's tasks still waiting (not done, cancelled or failed)."""
    return sorted(
        task.flow_task.name
        for task in process_of(request).task_set.exclude(
            status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED]
        )
    )


def office_task(request: RecruitmentRequest) -> Task:
    return process_of(request).task_set.get(flow_task=RecruitmentFlow.send_offers, finished__isnull=True)


def task_url(task: Task, action: str) -> str:
    return task.flow_task.reverse(action, args=[task.process_id, task.pk])


def later(monkeypatch, **delta) -> dt.datetime:
    """Move the clock forward (for the services, the flow's timers and the pages)."""
    moment = timezone.now() + dt.timedelta(**delta)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


class Steps:
    """Each step of a request over HTTP, with the work done after the commit run as it would be.

    Built with pytest-django's `django_capture_on_commit_callbacks` fixture.
    """

    def __init__(self, capture_on_commit) -> None:
        self.capture = capture_on_commit

    def post(self, client: Client, url: str, data: dict | None = None, **extra):
        with self.capture(execute=True):
            return client.post(url, data or {}, **extra)

    def start(self, client: Client, visa: Visa, **data) -> RecruitmentRequest:
        answer = self.post(
            client, reverse("requests:start", args=[visa.reference]), {"mode": "specification", **data}
        )
        assert answer.status_code == 302, answer.content.decode()[-3000:]
        return RecruitmentRequest.objects.filter(visa=visa).latest("pk")

    def choose_office(self, client: Client, request: RecruitmentRequest, office: Office):
        return self.post(client, reverse("requests:offices", args=[request.reference]), {"office": office.pk})

    def send_offers(self, client: Client, request: RecruitmentRequest, cvs: list[WorkerCV], **data):
        """The office's staff take the request from the queue and offer `cvs`."""
        task = office_task(request)
        assert self.post(client, task_url(task, "assign")).status_code == 302
        return self.post(client, task_url(task, "execute"), {"cvs": [cv.pk for cv in cvs], **data})

    def select(self, client: Client, request: RecruitmentRequest, cv: WorkerCV):
        offer = request.offers.get(cv=cv)
        return self.post(client, reverse("requests:select", args=[request.reference, offer.pk]))

    def worker(self, contract: Contract, answer: str, **data):
        return self.post(Client(), reverse(f"worker:{answer}", args=[contract.worker_token]), data)

    def fire_timers(self) -> int:
        with self.capture(execute=True):
            return fire_workflow_timers()
