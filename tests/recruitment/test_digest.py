"""The offices' morning digest: what it counts, who gets it, and that it goes out once a day."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.models import User
from musaned.accounts.roles import Role
from musaned.notifications.models import Message, Notification, NotificationPreference
from musaned.policy.services import rules_in_force
from recruitment.digest import office_digest_send, office_digests_send, office_summaries
from recruitment.digest_tasks import office_digests_send_today
from recruitment.models import (
    Complaint,
    ComplaintState,
    Contract,
    Offer,
    OfferState,
    Office,
    OfficeDigest,
    RecruitmentRequest,
    RequestMode,
    RequestState,
    TrustEntry,
    TrustEntryKind,
)
from tests.accounts.support import with_totp
from tests.factories import (
    HouseholdFactory,
    OfficeFactory,
    OfficeMembershipFactory,
    UserFactory,
    WorkerCVFactory,
)
from tests.recruitment.delivery_support import _issued_visa

pytestmark = pytest.mark.django_db

EVENT = "office_daily_digest"


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _request(office: Office, state: str, **fields) -> RecruitmentRequest:
    household = HouseholdFactory()
    return RecruitmentRequest.objects.create(
        reference="RQ-" + secrets.token_hex(5).upper(),
        household=household,
        visa=_issued_visa(household),
        mode=RequestMode.SPECIFICATION,
        office=office,
        rule_set=rules_in_force(on=timezone.localdate()),
        state=state,
        created_by=household.user,
        **fields,
    )


def _contract(office: Office, state: str, **fields) -> Contract:
    request = _request(office, state)
    cv = WorkerCVFactory(office=office)
    offer = Offer.objects.create(
        request=request,
        office=office,
        cv=cv,
        price=Decimal("12000"),
        delivery_days=60,
        state=OfferState.SELECTED,
    )
    return Contract.objects.create(
        request=request,
        offer=offer,
        office=office,
        cv=cv,
        rule_set=request.rule_set,
        price=Decimal("12000"),
        vat_amount=Decimal("1800"),
        total=Decimal("13800"),
        monthly_salary=Decimal("1500"),
        worker_language="en",
        worker_token=secrets.token_urlsafe(32),
        worker_decision_due_at=timezone.now() + dt.timedelta(days=5),
        **fields,
    )


def _complaint(office: Office, state: str, due_at: dt.datetime) -> Complaint:
    contract = _contract(office, RequestState.IN_GUARANTEE)
    return Complaint.objects.create(
        request=contract.request,
        office=office,
        category="contract",
        description="The worker's documents were not handed over.",
        state=state,
        response_due_at=due_at,
    )


def _penalty(office: Office, *, recorded_at: dt.datetime, amount: str) -> TrustEntry:
    contract = _contract(office, RequestState.IN_GUARANTEE)
    entry = TrustEntry.objects.create(
        request=contract.request,
        kind=TrustEntryKind.PENALTY,
        amount=Decimal(amount),
        formula="3 days late x 100 SAR",
        rule_set=contract.rule_set,
        key=f"penalty-late-{contract.request_id}",
    )
    TrustEntry.objects.filter(pk=entry.pk).update(created_at=recorded_at)
    return entry


def _staff(office: Office, *, language: str = "ar", active: bool = True, role: str = "staff") -> User:
    user = UserFactory(
        roles=[Role.OFFICE_MANAGER if role == "manager" else Role.OFFICE_STAFF],
        first_name="Huda",
        preferred_language=language,
        is_active=active,
    )
    OfficeMembershipFactory(office=office, user=user, role=role)
    return user


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def window(today) -> int:
    """How many days before its due day a delivery counts as due soon: the rule set's first alert."""
    return max(rules_in_force(on=today).alert_days())


@pytest.fixture
def busy_office(today, window) -> Office:
    """An office with a bit of everything, and a few cases that must not be counted."""
    office = OfficeFactory(name_en="Al Nakheel Recruitment", name_ar="مكتب النخيل للاستقدام")
    now = timezone.now()
    first_answer_due = _start_of(today) + dt.timedelta(hours=13)
    _request(office, RequestState.AWAITING_OFFERS, answer_due_at=first_answer_due)
    _request(office, RequestState.AWAITING_OFFERS, answer_due_at=now + dt.timedelta(days=3))
    _request(office, RequestState.OFFERS_SENT)
    _contract(office, RequestState.AWAITING_WORKER)
    _request(office, RequestState.CLOSED)
    _request(office, RequestState.OFFICE_LATE)

    paid = {"paid_at": now - dt.timedelta(days=50)}
    _contract(office, RequestState.IN_PROCESS, delivery_due_on=today + dt.timedelta(days=window), **paid)
    _contract(office, RequestState.IN_PROCESS, delivery_due_on=today + dt.timedelta(days=window + 1), **paid)
    _contract(office, RequestState.IN_PROCESS, delivery_due_on=today - dt.timedelta(days=3), **paid)
    # Extended: the original day has passed, the extended one is far away.
    _contract(
        office,
        RequestState.IN_PROCESS,
        delivery_due_on=today - dt.timedelta(days=2),
        extended_due_on=today + dt.timedelta(days=28),
        **paid,
    )
    # Declined by the worker: not a delivery.
    _contract(
        office,
        RequestState.IN_PROCESS,
        delivery_due_on=today + dt.timedelta(days=1),
        worker_declined_at=now - dt.timedelta(days=60),
        **paid,
    )

    handover_due = now + dt.timedelta(hours=5)
    _contract(
        office, RequestState.ARRIVED, arrived_at=now - dt.timedelta(hours=19), handover_due_at=handover_due
    )

    complaint_due = now + dt.timedelta(days=4)
    _complaint(office, ComplaintState.OPEN, complaint_due)
    _complaint(office, ComplaintState.ANSWERED, now + dt.timedelta(days=1))

    yesterday_noon = _start_of(today - dt.timedelta(days=1)) + dt.timedelta(hours=12)
    _penalty(office, recorded_at=yesterday_noon, amount="300.00")
    _penalty(office, recorded_at=_start_of(today) + dt.timedelta(minutes=5), amount="900.00")
    _penalty(office, recorded_at=_start_of(today - dt.timedelta(days=2)), amount="700.00")
    office.expected = {
        "requests_soonest_due": first_answer_due,
        "handover_soonest_due": handover_due,
        "complaints_soonest_due": complaint_due,
    }
    return office


@pytest.fixture
def other_office(today) -> Office:
    office = OfficeFactory(name_en="Al Waha Recruitment", name_ar="مكتب الواحة للاستقدام")
    _request(office, RequestState.AWAITING_OFFERS, answer_due_at=timezone.now() + dt.timedelta(days=6))
    return office


@pytest.fixture
def quiet_office() -> Office:
    office = OfficeFactory(name_en="Quiet Recruitment")
    _request(office, RequestState.CLOSED)
    _staff(office, language="en")
    return office


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


# --- what the digest counts ------------------------------------------------------------------------


def test_the_summary_counts_each_section_of_the_office_and_nothing_of_another(
    today, busy_office, other_office, quiet_office
):
    summaries = office_summaries(day=today)

    busy = summaries[busy_office.pk]
    assert (busy.requests_waiting, busy.requests_due_today) == (2, 1)
    assert _moment(busy.requests_soonest_due) == busy_office.expected["requests_soonest_due"]
    assert (busy.offers_waiting, busy.contracts_waiting) == (1, 1)
    assert (busy.deliveries, busy.deliveries_due_soon, busy.deliveries_overdue) == (4, 1, 1)
    assert busy.arrivals == 1
    assert _moment(busy.handover_soonest_due) == busy_office.expected["handover_soonest_due"]
    assert busy.complaints_waiting == 1
    assert _moment(busy.complaints_soonest_due) == busy_office.expected["complaints_soonest_due"]
    assert (busy.penalties_yesterday, Decimal(busy.penalties_amount)) == (1, Decimal("300.00"))
    assert busy.action_count == 2 + 1 + 1 + 1 + 1

    other = summaries[other_office.pk]
    assert other.requests_waiting == 1
    assert (other.offers_waiting, other.deliveries, other.arrivals, other.complaints_waiting) == (0, 0, 0, 0)
    assert other.penalties_yesterday == 0
    assert quiet_office.pk not in summaries


def test_the_summary_reads_a_fixed_number_of_queries_however_many_offices(
    today, busy_office, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        assert len(office_summaries(day=today)) == 1

    for _ in range(6):
        office = OfficeFactory()
        _request(office, RequestState.AWAITING_OFFERS, answer_due_at=timezone.now() + dt.timedelta(days=1))
        _contract(office, RequestState.IN_PROCESS, delivery_due_on=today, paid_at=timezone.now())
        _complaint(office, ComplaintState.OPEN, timezone.now() + dt.timedelta(days=2))

    with django_assert_max_num_queries(5):
        assert len(office_summaries(day=today)) == 7


# --- who gets it -----------------------------------------------------------------------------------


def test_each_active_staff_member_gets_the_digest_in_their_language(
    today, busy_office, other_office, quiet_office, django_capture_on_commit_callbacks
):
    manager = _staff(busy_office, language="en", role="manager")
    clerk = _staff(busy_office, language="ar")
    former = _staff(busy_office, language="en", active=False)
    other_staff = _staff(other_office, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        assert office_digests_send(day=today) == 2

    english = Notification.objects.get(recipient=manager, event=EVENT)
    assert english.url == reverse("recruitment:office_home")
    assert "Al Nakheel Recruitment" in english.body
    assert "Requests waiting for your offers: 2 (1 due today or already late)" in english.body
    assert "Households choosing among your offers: 1." in english.body
    assert "Contracts waiting for the worker's answer: 1." in english.body
    assert "Deliveries in progress: 4 (1 due within the alert period, 1 late)." in english.body
    assert "Workers who have arrived and wait to be handed over: 1." in english.body
    assert "Complaints waiting for your answer: 1." in english.body
    assert "Penalties recorded yesterday: 1," in english.body
    assert "6 to act on" in english.title
    assert Message.objects.filter(recipient=manager, channel="email", to=manager.email).exists()
    assert not Message.objects.filter(recipient=manager, channel="sms").exists()

    arabic = Notification.objects.get(recipient=clerk, event=EVENT)
    assert "مكتب النخيل للاستقدام" in arabic.body
    assert "طلبات بانتظار عروضكم: 2" in arabic.body
    assert "Requests" not in arabic.body

    assert not Notification.objects.filter(recipient=former).exists()
    other = Notification.objects.get(recipient=other_staff, event=EVENT)
    assert "Requests waiting for your offers: 1." in other.body
    assert "Deliveries" not in other.body and "Complaints" not in other.body

    assert not Notification.objects.filter(recipient__office_membership__office=quiet_office).exists()
    assert not OfficeDigest.objects.filter(office=quiet_office).exists()
    stored = OfficeDigest.objects.get(office=busy_office, day=today)
    assert stored.summary["requests_waiting"] == 2 and stored.summary["action_count"] == 6


def test_a_person_who_turned_off_digest_emails_reads_it_in_the_inbox_only(
    today, busy_office, django_capture_on_commit_callbacks
):
    person = _staff(busy_office, language="en")
    NotificationPreference.objects.create(user=person, topic="digest", email=False, sms=False)

    with django_capture_on_commit_callbacks(execute=True):
        office_digests_send(day=today)

    assert Notification.objects.filter(recipient=person, event=EVENT).exists()
    assert not Message.objects.filter(recipient=person).exists()


def test_an_inactive_office_or_one_without_active_staff_gets_nothing(
    today, busy_office, other_office, django_capture_on_commit_callbacks
):
    _staff(busy_office, language="en")
    Office.objects.filter(pk=busy_office.pk).update(active=False)
    _staff(other_office, active=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert office_digests_send(day=today) == 0

    assert not Notification.objects.filter(event=EVENT).exists()
    assert not OfficeDigest.objects.exists()


# --- once a day ------------------------------------------------------------------------------------


def test_running_twice_sends_once(today, busy_office, django_capture_on_commit_callbacks):
    _staff(busy_office, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        assert office_digests_send_today.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert office_digests_send(day=today) == 0

    assert Notification.objects.filter(event=EVENT).count() == 1
    assert OfficeDigest.objects.filter(office=busy_office).count() == 1


def test_a_run_that_got_past_the_first_check_sends_nothing_more(
    today, busy_office, django_capture_on_commit_callbacks
):
    """Two workers read the same summaries; the second to reach the office finds the digest sent."""
    person = _staff(busy_office, language="en")
    summary = office_summaries(day=today)[busy_office.pk]

    with django_capture_on_commit_callbacks(execute=True):
        assert office_digest_send(office=busy_office, day=today, summary=summary, people=[person])
        assert not office_digest_send(office=busy_office, day=today, summary=summary, people=[person])

    assert Notification.objects.filter(recipient=person, event=EVENT).count() == 1


def test_the_next_day_brings_a_new_digest(today, busy_office, django_capture_on_commit_callbacks):
    _staff(busy_office, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        office_digests_send(day=today)
        assert office_digests_send(day=today + dt.timedelta(days=1)) == 1

    assert list(OfficeDigest.objects.filter(office=busy_office).values_list("day", flat=True)) == [
        today + dt.timedelta(days=1),
        today,
    ]


def test_the_digest_goes_out_every_morning_at_half_past_six_riyadh_time():
    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "recruitment.digest_tasks.office_digests_send_today"
    )
    assert settings.CELERY_TIMEZONE == "Asia/Riyadh"
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {30}


# --- the admin's list ------------------------------------------------------------------------------


def test_the_admin_lists_sent_digests_read_only(
    client,
    today,
    busy_office,
    other_office,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    _staff(busy_office, language="en")
    _staff(other_office, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        office_digests_send(day=today)
    client.force_login(with_totp(UserFactory(roles=[], is_staff=True, is_superuser=True)))

    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:recruitment_officedigest_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "مكتب النخيل للاستقدام" in content and "مكتب الواحة للاستقدام" in content
    assert client.get(reverse("admin:recruitment_officedigest_add")).status_code == 403
    digest = OfficeDigest.objects.get(office=busy_office)
    page = client.get(reverse("admin:recruitment_officedigest_change", args=[digest.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content


def test_office_staff_cannot_open_the_admin_list(client, busy_office):
    client.force_login(with_totp(_staff(busy_office, language="en", role="manager")))

    response = client.get(reverse("admin:recruitment_officedigest_changelist"))

    assert response.status_code == 302 and "login" in response["Location"]
