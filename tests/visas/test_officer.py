"""The officers' queue, case page and decision form over HTTP, and who may not reach them."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from viewflow.workflow.status import STATUS

from musaned.accounts.roles import Role
from musaned.notifications.models import Notification
from tests.accounts.support import with_totp
from tests.factories import OfficeMembershipFactory, UserFactory
from visas.flows import VisaFlow, VisaProcess
from visas.models import VisaState

from .visa_domain import LOGIN_BACKEND, fresh, referred_household

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_pdfs")]

APP = "visa_review:applications"


def signed_in(client, user, language: str = "en"):
    client.force_login(user, backend=LOGIN_BACKEND)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def case(apply, pay):
    """A paid application the rules sent to an officer (the only proof is a bank statement)."""
    visa = pay(apply(referred_household()))
    process = VisaProcess.objects.get(artifact_object_id=visa.pk, flow_class=VisaFlow)
    task = process.task_set.get(flow_task=VisaFlow.officer_review)
    return visa, process, task


def urls(process, task) -> dict[str, str]:
    return {
        "dashboard": reverse(f"{APP}:index"),
        "queue": reverse(f"{APP}:queue"),
        "inbox": reverse(f"{APP}:inbox"),
        "archive": reverse(f"{APP}:archive"),
        "case": reverse(f"{APP}:process_detail", args=[process.pk]),
        "task": reverse(f"{APP}:officer_review:detail", args=[process.pk, task.pk]),
        "assign": reverse(f"{APP}:officer_review:assign", args=[process.pk, task.pk]),
        "execute": reverse(f"{APP}:officer_review:execute", args=[process.pk, task.pk]),
    }


def take(client, process, task):
    return client.post(urls(process, task)["assign"])


def test_an_officer_takes_a_case_from_the_queue_reads_it_and_approves_it(
    client, case, officer, django_capture_on_commit_callbacks
):
    visa, process, task = case
    signed_in(client, officer)

    queue = client.get(urls(process, task)["queue"]).content.decode()
    assert visa.reference in queue
    assert take(client, process, task).status_code == 302
    page = client.get(urls(process, task)["execute"])

    assert page.status_code == 200
    text = page.content.decode()
    household = visa.household
    assert household.name_en in text and household.national_id in text
    proof = household.income_proofs.get()
    assert reverse("households:proof_download", args=[proof.pk]) in text
    assert "check the attachment" in text  # the bank-statement finding, in words
    assert 'name="decision"' in text and 'name="reason"' in text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            urls(process, task)["execute"], {"decision": "approve", "reason": "", "note": ""}
        )

    assert response.status_code == 302
    visa = fresh(visa)
    assert visa.state == VisaState.ACTIVATED and visa.decided_by == officer
    assert process.task_set.get(pk=task.pk).status == STATUS.DONE
    assert Notification.objects.filter(recipient=household.user, event="visa_issued").exists()
    # Once decided, the case stays readable in the officer's archive and on its page.
    assert visa.reference in client.get(urls(process, task)["archive"]).content.decode()
    assert "Visa issued" in client.get(urls(process, task)["case"]).content.decode()


def test_a_rejection_without_the_required_note_is_refused_and_nothing_changes(client, case, officer):
    visa, process, task = case
    signed_in(client, officer)
    take(client, process, task)

    response = client.post(
        urls(process, task)["execute"], {"decision": "reject", "reason": "other", "note": ""}
    )

    assert response.status_code in (200, 422)
    assert "Explain the reason in the note." in response.content.decode()
    assert fresh(visa).state == VisaState.UNDER_REVIEW
    assert process.task_set.get(pk=task.pk).status == STATUS.ASSIGNED


def test_an_officer_rejects_with_a_reason_from_the_list(
    client, case, officer, django_capture_on_commit_callbacks
):
    visa, process, task = case
    signed_in(client, officer)
    take(client, process, task)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            urls(process, task)["execute"],
            {"decision": "reject", "reason": "proof_not_authentic", "note": "The bank's stamp is missing."},
        )

    visa = fresh(visa)
    assert visa.state == VisaState.REJECTED
    assert (visa.rejection_reason, visa.decision_note) == (
        "proof_not_authentic",
        "The bank's stamp is missing.",
    )


def test_a_case_taken_by_one_officer_is_not_decided_by_another(client, case, officer, second_officer):
    visa, process, task = case
    signed_in(client, officer)
    take(client, process, task)

    signed_in(client, second_officer)
    assert client.get(urls(process, task)["execute"]).status_code == 403
    response = client.post(urls(process, task)["execute"], {"decision": "approve"})

    assert response.status_code == 403
    assert fresh(visa).state == VisaState.UNDER_REVIEW
    assert visa.reference not in client.get(urls(process, task)["queue"]).content.decode()


def outsiders():
    """Everyone but the visa-review group: households, office staff, and the other ministry groups."""
    household = referred_household().user
    office = OfficeMembershipFactory().user
    return {
        "household": household,
        "office manager": with_totp(office),
        "complaints officer": with_totp(UserFactory(roles=[Role.COMPLAINTS])),
        "licensing officer": with_totp(UserFactory(roles=[Role.LICENSING])),
        "supervisor": with_totp(UserFactory(roles=[Role.SUPERVISORS])),
    }


def test_nobody_outside_the_visa_review_group_sees_or_acts_on_a_case(client, case):
    visa, process, task = case
    for who, user in outsiders().items():
        signed_in(client, user)
        for name, url in urls(process, task).items():
            response = client.post(url) if name in ("assign", "execute") else client.get(url)
            assert response.status_code in (403, 404), (who, name, response.status_code)
            assert visa.reference.encode() not in response.content, (who, name)
    assert fresh(visa).state == VisaState.UNDER_REVIEW
    assert process.task_set.get(pk=task.pk).owner is None


def test_anonymous_visitors_are_sent_to_sign_in(client, case):
    visa, process, task = case
    for name, url in urls(process, task).items():
        response = client.get(url)
        assert response.status_code in (302, 403), name
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("account_login")), name
        assert visa.reference.encode() not in response.content


def test_the_workflow_pages_speak_arabic(client, case, officer):
    visa, process, task = case
    signed_in(client, officer, language="ar")

    page = client.get(urls(process, task)["queue"]).content.decode()

    assert 'dir="rtl"' in page
    with translation.override("ar"):
        arabic_labels = [gettext(label) for label in ("Inbox", "Queue", "Archive", "Dashboard")]
    for label, arabic in zip(("Inbox", "Queue", "Archive", "Dashboard"), arabic_labels, strict=True):
        assert arabic != label and arabic in page
    assert "musaned/viewflow.css" in page  # the right-to-left layout fixes


def test_the_queue_reads_a_bounded_number_of_rows(client, apply, pay, officer, django_assert_max_num_queries):
    for _case in range(8):
        pay(apply(referred_household()))
    signed_in(client, officer)

    with django_assert_max_num_queries(30):  # the same for 2 cases as for 8
        response = client.get(reverse(f"{APP}:queue"))

    assert response.status_code == 200
    assert response.content.decode().count("VA-") >= 8
