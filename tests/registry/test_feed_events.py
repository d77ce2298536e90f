"""What the platform does with the feed's reports: a final exit in the guarantee starts the return, an
absence or custody flags the employment for the household and the ministry, a death ends it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import EmployedWorker, EmploymentFlag, FlagKind, FlagState, Household
from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent, User
from musaned.accounts.roles import Role
from musaned.billing.models import Refund
from musaned.integrations.interfaces import PassportsGateway, PassportStatus
from musaned.notifications.models import Message, Notification
from musaned.registry.services import feed_ingest
from recruitment import delivery
from recruitment.models import RequestState
from tests.accounts.support import with_totp
from tests.factories import EmployedWorkerFactory, HouseholdFactory, UserFactory, national_id
from tests.recruitment.delivery_support import (
    Case,
    handed_over_case,
    office_staff,
    quick_pdfs,
    shift_clock,
    signed_in,
)
from visas.models import Visa

pytestmark = pytest.mark.django_db

FLAGS_URL = reverse("households:officer_flags")


class WrittenFeed(PassportsGateway):
    """The passports service with a feed written out by hand, the same whatever the day asked for."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def worker_status(self, *, passport_number: str) -> PassportStatus:
        raise AssertionError("the feed's reports are acted on without asking the service again")

    def bulk_feed(self, *, run_date: dt.date, skip: int = 0) -> Generator[str, None, None]:
        return (line for line in self.lines[skip:])


def english_household() -> Household:
    return HouseholdFactory(user__preferred_language="en")


@dataclass
class World:
    today: dt.date
    within: Case  # handed over today: the exit falls in the guarantee
    after: Case  # handed over 100 days ago: the guarantee is over, the daily close has not run yet
    returned: Case  # the household reported the return before the feed did
    absent: EmployedWorker  # known to her household by iqama number only
    in_custody: EmployedWorker
    deceased: EmployedWorker
    lines: list[str]

    def ingest(self, capture, lines: list[str] | None = None, run_date: dt.date | None = None):
        with capture(execute=True):
            return feed_ingest(run_date=run_date or self.today, gateway=WrittenFeed(lines or self.lines))


@pytest.fixture
def world(monkeypatch, django_capture_on_commit_callbacks) -> World:
    quick_pdfs(monkeypatch)
    capture = django_capture_on_commit_callbacks
    after = handed_over_case(capture, passport="EXITLATE1")
    shift_clock(monkeypatch, days=100)
    today = timezone.localdate()
    within = handed_over_case(capture, passport="EXITSOON1")
    returned = handed_over_case(capture, passport="EXITTWICE")
    with capture(execute=True):
        delivery.guarantee_return(
            actor=Actor.direct(returned.household.user),
            request=returned.fresh(),
            exit_on=today,
            reason="Unsuited",
        )
    absent_iqama = national_id("2")
    absent = EmployedWorkerFactory(
        household=english_household(), name="Siti Rahma", iqama_number=absent_iqama, passport_number=""
    )
    in_custody = EmployedWorkerFactory(
        household=english_household(), name="Ana Cruz", passport_number="CUSTODY01"
    )
    deceased = EmployedWorkerFactory(
        household=english_household(), name="Lina Reyes", passport_number="PASSED001"
    )
    day = today.isoformat()
    lines = [
        f"EXITSOON1,,exited,{day}",
        f"EXITLATE1,,exited,{day}",
        f"EXITTWICE,,exited,{day}",
        f"ABSENT001,{absent_iqama},absent,{(today - dt.timedelta(days=3)).isoformat()}",
        f"CUSTODY01,,imprisoned,{day}",
        f"PASSED001,,deceased,{day}",
        f"NOBODY001,,absent,{day}",
    ]
    world = World(today, within, after, returned, absent, in_custody, deceased, lines)
    run = world.ingest(capture)
    assert (run.state, run.read, run.malformed, run.events) == ("completed", 7, 0, 7)
    return world


def ministry_officer(role: str = Role.COMPLAINTS) -> User:
    return with_totp(UserFactory(roles=[role], first_name="Huda", last_name="Officer"))


def return_refunds(case: Case) -> list[Refund]:
    return list(
        Refund.objects.filter(
            bill_id=case.fresh_contract().bill_id, idempotency_key__startswith="refund-return"
        )
    )


def test_a_final_exit_within_the_guarantee_starts_the_return_by_itself(world):
    case = world.within
    request = case.fresh()

    assert request.state == RequestState.RETURNED
    (refund,) = return_refunds(case)
    assert refund.amount > 0
    assert Visa.objects.filter(replaces_id=request.visa_id).exists()
    assert EmployedWorker.objects.get(household=case.household).ended_on == world.today
    notice = Notification.objects.get(recipient=case.household.user, event="delivery_returned")
    assert "A replacement visa application" in notice.body
    assert "The passports service reported that the worker" in notice.body
    office_notice = Notification.objects.get(recipient=case.staff, event="delivery_returned_office")
    assert "أبلغت خدمة الجوازات عن الخروج النهائي" in office_notice.body  # office staff read Arabic
    returned = AuditEvent.objects.get(action="recruitment.worker_returned", target_id=str(request.pk))
    assert returned.actor is None
    assert (returned.from_state, returned.to_state) == (RequestState.IN_GUARANTEE, RequestState.RETURNED)
    assert returned.changes["reason"] == "The passports service reported the worker's final exit."
    assert returned.changes["exit_on"] == world.today.isoformat()


def test_a_final_exit_after_the_guarantee_only_ends_the_employment(world):
    case = world.after

    assert case.fresh().state == RequestState.IN_GUARANTEE  # the daily close settles the money
    assert return_refunds(case) == []
    assert not Visa.objects.filter(replaces_id=case.request.visa_id).exists()
    assert EmployedWorker.objects.get(household=case.household).ended_on == world.today
    assert not Notification.objects.filter(recipient=case.household.user, event="delivery_returned").exists()
    ended = AuditEvent.objects.get(action="household.worker_ended", target_id=str(case.household.pk))
    assert ended.actor is None and ended.changes["reported_status"] == "exited"


def test_a_return_the_household_reported_first_is_not_refunded_again(world):
    case = world.returned

    assert case.fresh().state == RequestState.RETURNED
    assert len(return_refunds(case)) == 1
    assert Notification.objects.filter(recipient=case.household.user, event="delivery_returned").count() == 1
    assert (
        AuditEvent.objects.filter(
            action="recruitment.worker_returned", target_id=str(case.request.pk)
        ).count()
        == 1
    )


def test_absence_and_custody_flag_the_employment_and_tell_the_household(world):
    absent = EmploymentFlag.objects.get(worker=world.absent)
    assert (absent.kind, absent.state, absent.since) == (
        FlagKind.ABSENT,
        FlagState.OPEN,
        world.today - dt.timedelta(days=3),
    )
    custody = EmploymentFlag.objects.get(worker=world.in_custody)
    assert (custody.kind, custody.state, custody.since) == (FlagKind.IMPRISONED, FlagState.OPEN, world.today)
    assert EmploymentFlag.objects.count() == 2  # nobody employs the third worker reported absent

    household = world.absent.household
    notice = Notification.objects.get(recipient=household.user, event="employment_flagged")
    assert "Siti Rahma has been absent from work since" in notice.body
    assert notice.url == reverse("households:workers")
    assert Message.objects.filter(channel="sms", to=household.mobile, body__contains="Siti Rahma").exists()
    assert Message.objects.filter(channel="email", to=household.user.email).exists()
    flagged = AuditEvent.objects.get(action="household.worker_flagged", target_id=str(household.pk))
    assert flagged.actor is None and flagged.to_state == FlagState.OPEN

    page = signed_in(household.user).get(reverse("households:workers")).content.decode()
    assert "Reported absent from work since" in page
    other = signed_in(world.in_custody.household.user).get(reverse("households:workers")).content.decode()
    assert "Reported in custody since" in other and "Siti Rahma" not in other
    history = signed_in(household.user).get(reverse("households:history")).content.decode()
    assert "The passports service reported a domestic worker absent or in custody" in history


def test_the_ministry_list_shows_open_reports_to_its_officers_only(world, django_assert_max_num_queries):
    officer = signed_in(ministry_officer())
    for _more in range(3):
        EmploymentFlag.objects.create(
            worker=EmployedWorkerFactory(household=english_household(), passport_number="MORE00001"),
            kind=FlagKind.ABSENT,
            since=world.today,
        )

    with django_assert_max_num_queries(16):
        page = officer.get(FLAGS_URL)

    assert page.status_code == 200
    text = page.content.decode()
    assert "Siti Rahma" in text and "Ana Cruz" in text and world.absent.household.national_id in text
    assert "Absent from work" in text and "In custody" in text
    assert "Lina Reyes" not in text  # a death ends the employment; it is not a report to close
    assert signed_in(ministry_officer(Role.SUPERVISORS)).get(FLAGS_URL).status_code == 200
    assert "Absence and custody reports" in officer.get(reverse("ministry:home")).content.decode()

    for outsider in (
        world.absent.household.user,
        world.in_custody.household.user,
        office_staff(world.within.office),
        ministry_officer(Role.VISA_REVIEW),
        ministry_officer(Role.LICENSING),
    ):
        client = signed_in(outsider)
        assert client.get(FLAGS_URL).status_code == 403
        flag = EmploymentFlag.objects.get(worker=world.absent)
        close = reverse("households:officer_flag_close", args=[flag.pk])
        assert client.post(close, {"note": "Settled"}).status_code == 403
    assert EmploymentFlag.objects.get(worker=world.absent).state == FlagState.OPEN


def test_reading_the_same_feed_again_does_nothing_new(world, django_capture_on_commit_callbacks):
    counts = (
        Refund.objects.count(),
        Notification.objects.count(),
        Message.objects.count(),
        EmploymentFlag.objects.count(),
        Visa.objects.count(),
        AuditEvent.objects.exclude(action="registry.feed_completed").count(),
    )

    run = world.ingest(django_capture_on_commit_callbacks)

    assert (run.changed, run.events) == (0, 0)
    assert counts == (
        Refund.objects.count(),
        Notification.objects.count(),
        Message.objects.count(),
        EmploymentFlag.objects.count(),
        Visa.objects.count(),
        AuditEvent.objects.exclude(action="registry.feed_completed").count(),
    )


def test_the_same_report_announced_twice_has_one_effect(world, django_capture_on_commit_callbacks):
    """A report the registry announced again (a run replayed by hand) finds everything already done."""
    from musaned.registry import signals
    from musaned.registry.models import WorkerRecord

    refunds, flags = Refund.objects.count(), EmploymentFlag.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        for signal, passport, iqama in [
            (signals.worker_exited, "EXITSOON1", ""),
            (signals.worker_absent, "ABSENT001", world.absent.iqama_number),
            (signals.worker_imprisoned, "CUSTODY01", ""),
        ]:
            signal.send(
                sender=WorkerRecord,
                passport_number=passport,
                iqama_number=iqama,
                status_date=world.today,
                previous_status="arrived",
                run_id=None,
            )

    assert (Refund.objects.count(), EmploymentFlag.objects.count()) == (refunds, flags)
    assert Notification.objects.filter(event="employment_flagged").count() == 2


def test_back_in_residence_closes_the_absence_by_itself(world, django_capture_on_commit_callbacks):
    tomorrow = world.today + dt.timedelta(days=1)
    lines = [line for line in world.lines if not line.startswith(("ABSENT001", "CUSTODY01"))] + [
        f"ABSENT001,{world.absent.iqama_number},arrived,{tomorrow.isoformat()}",
        f"CUSTODY01,,arrived,{tomorrow.isoformat()}",
    ]
    run = world.ingest(django_capture_on_commit_callbacks, lines, run_date=tomorrow)

    assert run.events == 2
    flag = EmploymentFlag.objects.get(worker=world.absent)
    assert (flag.state, flag.cleared_by, flag.note) == (FlagState.CLOSED, None, "")
    assert flag.cleared_at is not None
    # custody ends only when an officer, who knows how the case ended, closes it
    assert EmploymentFlag.objects.get(worker=world.in_custody).state == FlagState.OPEN
    household = world.absent.household
    closed = AuditEvent.objects.get(action="household.worker_flag_closed", target_id=str(household.pk))
    assert closed.actor is None and (closed.from_state, closed.to_state) == ("open", "closed")
    notice = Notification.objects.get(recipient=household.user, event="employment_flag_closed")
    assert "is back in regular residence" in notice.body
    page = signed_in(household.user).get(reverse("households:workers")).content.decode()
    assert "Reported absent from work" not in page


def test_an_officer_closes_a_report_with_a_note(world, django_capture_on_commit_callbacks):
    officer_user = ministry_officer()
    officer = signed_in(officer_user)
    flag = EmploymentFlag.objects.get(worker=world.in_custody)
    close = reverse("households:officer_flag_close", args=[flag.pk])

    refused = officer.post(close, {"note": "   "}, follow=True).content.decode()
    assert "Say how the matter was settled" in refused
    assert EmploymentFlag.objects.get(pk=flag.pk).state == FlagState.OPEN
    assert officer.get(close).status_code == 405

    with django_capture_on_commit_callbacks(execute=True):
        done = officer.post(close, {"note": "Released without charge on 3 May"}, follow=True)
    done = done.content.decode()
    assert "The report on Ana Cruz is closed." in done
    flag = EmploymentFlag.objects.get(pk=flag.pk)
    assert (flag.state, flag.cleared_by, flag.note) == (
        FlagState.CLOSED,
        officer_user,
        "Released without charge on 3 May",
    )
    closed = AuditEvent.objects.get(action="household.worker_flag_closed")
    assert closed.actor == officer_user and closed.changes["note"] == [
        None,
        "Released without charge on 3 May",
    ]
    notice = Notification.objects.get(
        recipient=world.in_custody.household.user, event="employment_flag_closed"
    )
    assert "The ministry has closed the report" in notice.body

    again = officer.post(close, {"note": "Twice"}, follow=True).content.decode()
    assert "This report has already been closed." in again
    assert AuditEvent.objects.filter(action="household.worker_flag_closed").count() == 1
    assert (
        officer.post(reverse("households:officer_flag_close", args=[999999]), {"note": "x"}).status_code
        == 404
    )


def test_a_death_ends_the_employment_and_the_household_is_told(world):
    worker = EmployedWorker.objects.get(pk=world.deceased.pk)
    assert worker.ended_on == world.today
    household = worker.household
    notice = Notification.objects.get(recipient=household.user, event="employment_worker_deceased")
    assert "the death of your domestic worker Lina Reyes" in notice.body
    assert "sincere condolences" in notice.body
    assert Message.objects.filter(channel="sms", to=household.mobile).exists()
    assert not EmploymentFlag.objects.filter(worker=worker).exists()
