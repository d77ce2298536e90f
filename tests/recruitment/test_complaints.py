"""Complaints over HTTP: the household files, the office answers, the complainant accepts or escalates,
an unanswered complaint goes to the ministry by the schedule, and the ministry decides."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from musaned.accounts.actor import Actor
from musaned.accounts.middleware import ActingForMiddleware
from musaned.accounts.models import AuditEvent, Delegation, DelegationScope
from musaned.accounts.roles import Role
from musaned.billing.models import Bill, Refund, RefundState
from musaned.notifications.models import Notification
from recruitment import complaints_tasks
from recruitment.complaint_selectors import is_disputed, open_complaints
from recruitment.complaints import complaint_answer, complaint_escalate
from recruitment.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintState,
    RequestState,
    Sanction,
    SanctionKind,
    TrustEntry,
    TrustEntryKind,
)
from recruitment.services import office_accepts_requests
from tests.factories import UserFactory

from .complaint_cases import PDF, PNG, client_for, contract_of, make_case, office_staff, officer

pytestmark = pytest.mark.django_db

DESCRIPTION = "The office asked me for 2,000 SAR in cash to speed up the embassy stamping."


@pytest.fixture
def case():
    return make_case(state=RequestState.IN_PROCESS)


@pytest.fixture
def household_client(case):
    return client_for(case.household.user)


@pytest.fixture
def staff(case):
    return office_staff(case.office)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture
def ministry():
    return officer(Role.COMPLAINTS)


@pytest.fixture
def ministry_client(ministry):
    return client_for(ministry)


def attachments(*files):
    return [SimpleUploadedFile(name, content, content_type=kind) for name, content, kind in files]


def file_complaint(client, case, capture, *, description=DESCRIPTION, files=(), category="contract"):
    with capture(execute=True):
        return client.post(
            reverse("complaints:file", args=[case.reference]),
            {"category": category, "description": description, "attachments": list(files)},
        )


def filed(case, household_client, capture) -> Complaint:
    response = file_complaint(household_client, case, capture)
    assert response.status_code == 302, response.content.decode()
    return Complaint.objects.get(request=case)


def answer(client, complaint, capture, text="We refunded the cash and apologised."):
    with capture(execute=True):
        return client.post(reverse("complaints:office_detail", args=[complaint.pk]), {"text": text})


def escalated(case, household_client, staff_client, capture) -> Complaint:
    complaint = filed(case, household_client, capture)
    answer(staff_client, complaint, capture)
    with capture(execute=True):
        household_client.post(reverse("complaints:escalate", args=[complaint.pk]))
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.state == ComplaintState.ESCALATED
    return complaint


def decide(client, complaint, capture, **data):
    with capture(execute=True):
        return client.post(
            reverse("complaints:ministry_detail", args=[complaint.pk]), {"note": "Upheld.", **data}
        )


# --- filing ----------------------------------------------------------------------------------------


def test_a_household_files_a_complaint_with_attachments_and_the_office_is_told(
    case, household_client, staff, django_capture_on_commit_callbacks
):
    page = household_client.get(reverse("complaints:file", args=[case.reference]))
    assert page.status_code == 200 and "Send the complaint" in page.content.decode()

    response = file_complaint(
        household_client,
        case,
        django_capture_on_commit_callbacks,
        files=attachments(("receipt.pdf", PDF, "application/pdf"), ("chat.png", PNG, "image/png")),
    )

    complaint = Complaint.objects.get(request=case)
    assert response.url == reverse("complaints:detail", args=[complaint.pk])
    assert complaint.state == ComplaintState.OPEN and complaint.office == case.office
    assert complaint.filed_by == case.household.user and not complaint.by_worker
    due = complaint.created_at + dt.timedelta(days=case.rule_set.complaint_response_days)
    assert abs(complaint.response_due_at - due) < dt.timedelta(seconds=5)
    stored = {a.original_name: a for a in complaint.attachments.all()}
    assert set(stored) == {"receipt.pdf", "chat.png"}
    assert stored["chat.png"].content_type == "image/png" and stored["receipt.pdf"].size == len(PDF)
    assert AuditEvent.objects.filter(action="complaint.filed", actor=case.household.user).exists()
    assert Notification.objects.filter(recipient=staff, event="complaint_filed").exists()

    detail = household_client.get(response.url).content.decode()
    assert "Waiting for the office" in detail and DESCRIPTION in detail
    download = household_client.get(reverse("complaints:attachment", args=[stored["receipt.pdf"].pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["X-Content-Type-Options"] == "nosniff"

    assert is_disputed(case) and list(open_complaints(case)) == [complaint]
    assert "Disputed" in household_client.get(reverse("complaints:mine")).content.decode()


def test_the_household_pages_work_in_arabic(case, household_client, django_capture_on_commit_callbacks):
    complaint = filed(case, household_client, django_capture_on_commit_callbacks)
    household_client.cookies["django_language"] = "ar"
    for url in (
        reverse("complaints:mine"),
        reverse("complaints:file", args=[case.reference]),
        reverse("complaints:detail", args=[complaint.pk]),
    ):
        response = household_client.get(url)
        assert response.status_code == 200
        assert 'dir="rtl"' in response.content.decode() and 'name="viewport"' in response.content.decode()


@pytest.mark.parametrize(
    "name, content",
    [("invoice.pdf", b"MZ\x90\x00 this is a program, not a PDF"), ("photo.png", b"just some text")],
)
def test_a_forged_attachment_is_refused_and_nothing_is_saved(
    case, household_client, django_capture_on_commit_callbacks, name, content
):
    response = file_complaint(
        household_client,
        case,
        django_capture_on_commit_callbacks,
        files=attachments(("receipt.pdf", PDF, "application/pdf"), (name, content, "application/pdf")),
    )

    assert response.status_code == 200
    assert "is not a PDF, JPEG or PNG document" in response.content.decode()
    assert not Complaint.objects.exists() and not ComplaintAttachment.objects.exists()


def test_an_attachment_over_the_size_limit_is_refused(
    case, household_client, django_capture_on_commit_callbacks, settings
):
    settings.UPLOAD_MAX_BYTES = 20
    response = file_complaint(
        household_client,
        case,
        django_capture_on_commit_callbacks,
        files=attachments(("receipt.pdf", PDF, "application/pdf")),
    )

    assert response.status_code == 200 and "is too large" in response.content.decode()
    assert not Complaint.objects.exists()


def test_an_empty_description_is_refused(case, household_client, django_capture_on_commit_callbacks):
    response = file_complaint(household_client, case, django_capture_on_commit_callbacks, description="  ")
    assert response.status_code == 200 and not Complaint.objects.exists()


@pytest.mark.parametrize(
    "state",
    [RequestState.OFFERS_SENT, RequestState.AWAITING_WORKER, RequestState.CLOSED, RequestState.CANCELLED],
)
def test_no_complaint_outside_the_contract_in_force(state, django_capture_on_commit_callbacks):
    case = make_case(state=state, paid=False)
    if state == RequestState.OFFERS_SENT:
        case.contracts.all().delete()
    client = client_for(case.household.user)

    page = client.get(reverse("complaints:file", args=[case.reference])).content.decode()
    response = file_complaint(client, case, django_capture_on_commit_callbacks)

    assert "while the contract is in force" in page and "Send the complaint" not in page
    assert response.status_code == 200 and "while the contract is in force" in response.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    "state", [RequestState.AWAITING_PAYMENT, RequestState.ARRIVED, RequestState.IN_GUARANTEE]
)
def test_a_complaint_can_be_filed_from_the_workers_acceptance_to_the_end_of_the_guarantee(
    state, django_capture_on_commit_callbacks
):
    case = make_case(state=state)
    response = file_complaint(client_for(case.household.user), case, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and Complaint.objects.filter(request=case).exists()


def test_a_delegate_for_complaints_files_but_a_delegate_for_recruitment_may_not(
    case, django_capture_on_commit_callbacks
):
    helper = UserFactory(roles=[])
    client = client_for(helper)
    for scope, expected in ((DelegationScope.RECRUITMENT, 403), (DelegationScope.COMPLAINTS, 302)):
        delegation = Delegation.objects.create(
            principal=case.household.user,
            delegate=helper,
            scope=scope,
            valid_until=timezone.localdate() + dt.timedelta(days=30),
        )
        session = client.session
        session[ActingForMiddleware.SESSION_KEY] = delegation.pk
        session.save()
        response = file_complaint(client, case, django_capture_on_commit_callbacks)
        assert response.status_code == expected
    complaint = Complaint.objects.get()
    assert complaint.filed_by == helper
    assert AuditEvent.objects.get(action="complaint.filed").on_behalf_of == case.household.user


# --- the office answers; the complainant accepts or escalates --------------------------------------


def test_the_office_answers_and_the_household_accepts(
    case, household_client, staff_client, staff, django_capture_on_commit_callbacks
):
    complaint = filed(case, household_client, django_capture_on_commit_callbacks)
    listing = staff_client.get(reverse("complaints:office_list")).content.decode()
    assert case.reference in listing

    response = answer(staff_client, complaint, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.ANSWERED and "refunded the cash" in complaint.office_response
    assert Notification.objects.filter(recipient=case.household.user, event="complaint_answered").exists()
    page = household_client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert "refunded the cash" in page and "The answer settles it" in page

    with django_capture_on_commit_callbacks(execute=True):
        household_client.post(reverse("complaints:resolve", args=[complaint.pk]))

    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.RESOLVED
    assert not is_disputed(case)
    assert Notification.objects.filter(recipient=staff, event="complaint_resolved").exists()


def test_the_household_escalates_an_answer_it_does_not_accept(
    case, household_client, staff_client, ministry, ministry_client, django_capture_on_commit_callbacks
):
    complaint = escalated(case, household_client, staff_client, django_capture_on_commit_callbacks)

    assert Notification.objects.filter(recipient=ministry, event="complaint_escalated").exists()
    assert Notification.objects.filter(recipient=case.household.user, event="complaint_forwarded").exists()
    queue = ministry_client.get(reverse("complaints:ministry_queue")).content.decode()
    assert case.reference in queue
    page = ministry_client.get(reverse("complaints:ministry_detail", args=[complaint.pk])).content.decode()
    assert "refunded the cash" in page and DESCRIPTION in page and "Record the decision" in page
    assert is_disputed(case)


def test_the_household_cannot_skip_the_office_before_its_deadline(
    case, household_client, django_capture_on_commit_callbacks
):
    complaint = filed(case, household_client, django_capture_on_commit_callbacks)

    response = household_client.post(reverse("complaints:escalate", args=[complaint.pk]), follow=True)

    assert "The office has until its deadline to answer" in response.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.OPEN


def test_an_unanswered_complaint_goes_to_the_ministry_when_its_deadline_passes(
    case, household_client, staff, staff_client, ministry, monkeypatch, django_capture_on_commit_callbacks
):
    complaint = filed(case, household_client, django_capture_on_commit_callbacks)
    start = timezone.now()
    days = case.rule_set.complaint_response_days

    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(days=days - 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert complaints_tasks.escalate_overdue_complaints.delay().get() == 0
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.OPEN

    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(days=days, minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert complaints_tasks.escalate_overdue_complaints.delay().get() == 1
        assert complaints_tasks.escalate_overdue_complaints.delay().get() == 0

    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.state == ComplaintState.ESCALATED and complaint.answered_at is None
    notice = Notification.objects.get(recipient=ministry, event="complaint_escalated")
    assert "did not answer" in notice.body
    assert Notification.objects.filter(recipient=staff, event="complaint_forwarded").exists()
    event = AuditEvent.objects.get(action="complaint.escalated")
    assert event.actor is None and event.changes == {"reason": "unanswered_in_time"}

    late = answer(staff_client, complaint, django_capture_on_commit_callbacks)
    assert "already been answered or passed to the ministry" in staff_client.get(late.url).content.decode()
    assert Complaint.objects.get(pk=complaint.pk).office_response == ""


def test_the_office_cannot_answer_after_its_deadline(
    case, household_client, staff, monkeypatch, django_capture_on_commit_callbacks
):
    complaint = filed(case, household_client, django_capture_on_commit_callbacks)
    later = complaint.response_due_at + dt.timedelta(minutes=1)

    with (
        translation.override("en"),
        pytest.raises(Exception, match="time to answer this complaint has passed"),
    ):
        complaint_answer(actor=Actor.direct(staff), complaint=complaint, text="Sorry", now=later)
    complaint_escalate(actor=Actor.direct(case.household.user), complaint=complaint, now=later)
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ESCALATED


# --- the ministry decides --------------------------------------------------------------------------


def test_the_ministry_decides_a_refund_that_goes_back_to_the_household(
    case, household_client, staff_client, ministry_client, django_capture_on_commit_callbacks
):
    complaint = escalated(case, household_client, staff_client, django_capture_on_commit_callbacks)

    response = decide(
        ministry_client,
        complaint,
        django_capture_on_commit_callbacks,
        decision="refund",
        refund_amount="2000",
    )

    assert response.status_code == 302
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.state == ComplaintState.DECIDED and complaint.decision == "refund"
    refund = Refund.objects.get(idempotency_key=f"complaint-{complaint.pk}")
    assert refund.amount == Decimal("2000.00") and refund.state == RefundState.SENT
    assert Bill.objects.get(pk=contract_of(case).bill_id).refunded_amount == Decimal("2000.00")
    entry = TrustEntry.objects.get(request=case, kind=TrustEntryKind.REFUNDED)
    assert entry.amount == Decimal("2000.00") and "2,000 SAR of the 17,250 SAR paid" in entry.formula
    assert Notification.objects.filter(recipient=case.household.user, event="complaint_decided").exists()
    page = household_client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert "Refund to the household" in page and "2,000 SAR of the 17,250 SAR paid" in page
    assert not is_disputed(case)


def test_a_refund_above_what_was_paid_is_refused(
    case, household_client, staff_client, ministry_client, django_capture_on_commit_callbacks
):
    complaint = escalated(case, household_client, staff_client, django_capture_on_commit_callbacks)

    response = decide(
        ministry_client,
        complaint,
        django_capture_on_commit_callbacks,
        decision="refund",
        refund_amount="20000",
    )

    assert response.status_code == 200 and "17,250 SAR" in response.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ESCALATED
    assert (
        not Refund.objects.exists() and not TrustEntry.objects.filter(kind=TrustEntryKind.REFUNDED).exists()
    )


def test_a_warning_is_recorded_against_the_office_which_keeps_working(
    case, household_client, staff_client, ministry, ministry_client, django_capture_on_commit_callbacks
):
    complaint = escalated(case, household_client, staff_client, django_capture_on_commit_callbacks)

    decide(ministry_client, complaint, django_capture_on_commit_callbacks, decision="warning")

    sanction = Sanction.objects.get()
    assert sanction.kind == SanctionKind.WARNING and sanction.complaint_id == complaint.pk
    assert sanction.office == case.office and sanction.decided_by == ministry
    assert office_accepts_requests(case.office)[0] is True


def test_a_suspension_stops_the_office_taking_requests(
    case, household_client, staff, staff_client, ministry_client, django_capture_on_commit_callbacks
):
    complaint = escalated(case, household_client, staff_client, django_capture_on_commit_callbacks)

    response = decide(
        ministry_client,
        complaint,
        django_capture_on_commit_callbacks,
        decision="suspension",
        suspension_days="30",
    )

    assert response.status_code == 302
    sanction = Sanction.objects.get()
    assert sanction.kind == SanctionKind.SUSPENSION
    assert sanction.ends_on == timezone.localdate() + dt.timedelta(days=30)
    with translation.override("en"):
        accepts, reason = office_accepts_requests(case.office)
    assert accepts is False and "suspended" in reason
    notice = Notification.objects.get(recipient=staff, event="complaint_decided")
    assert "suspended until" in notice.body
    page = staff_client.get(reverse("complaints:office_detail", args=[complaint.pk])).content.decode()
    assert "Suspension of the office" in page


def test_a_suspension_needs_its_length(
    case, household_client, staff_client, ministry_client, django_capture_on_commit_callbacks
):
    complaint = escalated(case, household_client, staff_client, django_capture_on_commit_callbacks)
    response = decide(ministry_client, complaint, django_capture_on_commit_callbacks, decision="suspension")
    assert response.status_code == 200 and not Sanction.objects.exists()


def test_a_second_officer_deciding_from_a_stale_page_changes_nothing(
    case, household_client, staff_client, ministry_client, django_capture_on_commit_callbacks
):
    complaint = escalated(case, household_client, staff_client, django_capture_on_commit_callbacks)
    other = client_for(officer(Role.SUPERVISORS))
    other.get(reverse("complaints:ministry_detail", args=[complaint.pk]))

    decide(ministry_client, complaint, django_capture_on_commit_callbacks, decision="warning")
    response = decide(
        other, complaint, django_capture_on_commit_callbacks, decision="suspension", suspension_days="60"
    )

    assert "has just been decided by" in other.get(response.url).content.decode()
    assert Complaint.objects.get(pk=complaint.pk).decision == "warning"
    assert list(Sanction.objects.values_list("kind", flat=True)) == [SanctionKind.WARNING]


def test_dismissing_changes_nothing_but_the_complaint(
    case, household_client, staff_client, ministry_client, django_capture_on_commit_callbacks
):
    complaint = escalated(case, household_client, staff_client, django_capture_on_commit_callbacks)
    decide(ministry_client, complaint, django_capture_on_commit_callbacks, decision="dismissed")
    assert Complaint.objects.get(pk=complaint.pk).decision == "dismissed"
    assert not Sanction.objects.exists() and not Refund.objects.exists()


# --- lists stay cheap ------------------------------------------------------------------------------


def _escalated_complaints(cases):
    now = timezone.now()
    for number, each in enumerate(cases):
        Complaint.objects.create(
            request=each,
            office=each.office,
            filed_by=each.household.user,
            category="contract",
            description=f"Complaint {number}",
            response_due_at=now,
            state=ComplaintState.ESCALATED,
            escalated_at=now,
        )


def test_the_lists_take_as_many_queries_for_many_complaints_as_for_one(
    case, staff, ministry, django_assert_max_num_queries
):
    household = case.household
    pages = [
        (client_for(household.user), reverse("complaints:mine")),
        (client_for(staff), reverse("complaints:office_list")),
        (client_for(ministry), reverse("complaints:ministry_queue")),
    ]

    def queries(client, url) -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    _escalated_complaints([case])
    for client, url in pages:
        client.get(url)  # the session's first use is behind us, as on any later visit
    few = [queries(client, url) for client, url in pages]
    _escalated_complaints([make_case(household=household, office=case.office) for _ in range(11)])
    for (client, url), count in zip(pages, few, strict=True):
        with django_assert_max_num_queries(count):
            client.get(url)


def test_no_refund_on_a_case_not_paid_yet(ministry_client, django_capture_on_commit_callbacks):
    case = make_case(state=RequestState.AWAITING_PAYMENT)
    household_client = client_for(case.household.user)
    staff_client = client_for(office_staff(case.office))
    complaint = escalated(case, household_client, staff_client, django_capture_on_commit_callbacks)

    response = decide(
        ministry_client, complaint, django_capture_on_commit_callbacks, decision="refund", refund_amount="100"
    )

    assert "Nothing was paid on this case" in response.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ESCALATED
