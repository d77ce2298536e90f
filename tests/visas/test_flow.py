"""The visa process: who acts next at each step, the late-decision alert, and activation through Celery."""

import datetime as dt

import pytest
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.timers import fire_due_timers

from musaned.billing.services import bill_expire
from musaned.integrations.models import GatewayCall, GatewayCircuit
from musaned.notifications.models import Notification
from musaned.workflow import job_complete
from tests.factories import HouseholdFactory, IncomeProofFactory
from visas import services
from visas.flows import LATE_ALERT_LEAD, VisaFlow, VisaProcess
from visas.models import VisaState

from .visa_domain import fresh, referred_household

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_pdfs")]


def process_of(visa) -> VisaProcess:
    return VisaProcess.objects.get(artifact_object_id=visa.pk, flow_class=VisaFlow)


def tasks(visa) -> dict[str, str]:
    return {task.flow_task.name: task.status for task in process_of(visa).task_set.order_by("pk")}


def task(visa, node):
    return process_of(visa).task_set.filter(flow_task=node).latest("pk")


def test_an_application_waits_for_payment_then_runs_to_the_end(household, apply, pay):
    visa = apply(household)

    assert process_of(visa).artifact == visa
    assert tasks(visa) == {"start": STATUS.DONE, "check_fee": STATUS.DONE, "await_payment": STATUS.NEW}

    visa = pay(visa)

    assert tasks(visa) == {
        "start": STATUS.DONE,
        "check_fee": STATUS.DONE,
        "await_payment": STATUS.DONE,
        "auto_review": STATUS.DONE,
        "route": STATUS.DONE,
        "activate": STATUS.DONE,
        "end": STATUS.DONE,
    }
    assert process_of(visa).status == PROCESS.DONE


def test_a_waived_fee_skips_the_payment_step(apply):
    household = HouseholdFactory(has_registered_disability=True)
    IncomeProofFactory(household=household)

    visa = apply(household)

    assert "await_payment" not in tasks(visa)
    assert fresh(visa).state == VisaState.ACTIVATED


def test_a_second_payment_notice_moves_nothing(household, apply, pay):
    visa = pay(apply(household))

    assert services.visa_record_payment(bill=visa.bill).state == VisaState.ACTIVATED
    assert process_of(visa).task_set.count() == 7


def test_a_referred_case_is_queued_for_the_visa_review_group_with_a_late_alert(apply, pay, officer):
    visa = pay(apply(referred_household()))

    review = task(visa, VisaFlow.officer_review)
    assert review.status == STATUS.NEW and review.owner is None
    assert review.owner_permission == "visas.review_visa"
    alert = task(visa, VisaFlow.officer_review__timeout)
    assert alert.status == STATUS.SCHEDULED
    assert alert.scheduled == visa.decision_due_at - LATE_ALERT_LEAD
    queue = VisaFlow.task_class.objects.user_queue(officer, flow_class=VisaFlow).filter(status=STATUS.NEW)
    assert list(queue) == [review]


def test_supervisors_are_alerted_once_before_a_decision_is_late(
    apply, pay, decide, officer, supervisor, django_capture_on_commit_callbacks
):
    visa = pay(apply(referred_household()))
    alert = task(visa, VisaFlow.officer_review__timeout)
    assert fire_due_timers() == 0  # 20 hours early

    VisaFlow.task_class.objects.filter(pk=alert.pk).update(scheduled=timezone.now() - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert fire_due_timers() == 1
        assert fire_due_timers() == 0
        assert services.visa_alert_late_decision(visa=visa) == 0

    late = Notification.objects.filter(event="visa_decision_late")
    assert [note.recipient for note in late] == [supervisor]
    assert visa.reference in late.get().body
    # The case is still the officer's to decide, and the process ends with the decision.
    assert task(visa, VisaFlow.officer_review).status == STATUS.NEW
    decide(officer, visa, approve=True)
    assert process_of(visa).status == PROCESS.DONE


def test_a_decision_in_time_cancels_the_alert(apply, pay, decide, officer):
    visa = pay(apply(referred_household()))

    decide(officer, visa, approve=False, reason="proof_not_authentic")

    assert task(visa, VisaFlow.officer_review).status == STATUS.DONE
    assert task(visa, VisaFlow.officer_review).owner == officer
    assert task(visa, VisaFlow.officer_review__timeout).status == STATUS.CANCELED
    assert "activate" not in tasks(visa)
    assert process_of(visa).status == PROCESS.DONE
    assert not Notification.objects.filter(event="visa_decision_late").exists()


def test_an_expired_bill_withdraws_the_application_and_cancels_its_process(household, apply):
    visa = apply(household)

    bill_expire(bill_id=visa.bill_id, now=visa.bill.due_at + dt.timedelta(seconds=1))

    visa = fresh(visa)
    assert visa.state == VisaState.WITHDRAWN
    assert process_of(visa).status == PROCESS.CANCELED
    assert tasks(visa)["await_payment"] == STATUS.CANCELED


def test_activation_is_retried_while_the_foreign_ministry_is_down_and_revived_after(
    household, apply, pay, settings, django_capture_on_commit_callbacks
):
    settings.INTEGRATIONS_FAKE_FAILURES = {"mofa": "error"}

    visa = pay(apply(household))

    assert visa.state == VisaState.ISSUED
    assert GatewayCall.objects.filter(gateway="mofa", outcome="error").count() > 1  # asked again and again
    job = task(visa, VisaFlow.activate)
    assert job.status == STATUS.ERROR  # retries exhausted: a flow manager sees it and can revive it

    settings.INTEGRATIONS_FAKE_FAILURES = {}
    GatewayCircuit.objects.filter(gateway="mofa").update(retry_at=timezone.now())  # the cool-down is over
    with django_capture_on_commit_callbacks(execute=True), job.activation() as activation:
        activation.revive()

    assert fresh(visa).state == VisaState.ACTIVATED
    assert task(visa, VisaFlow.activate).status == STATUS.DONE
    assert process_of(visa).status == PROCESS.DONE


def test_a_job_reported_twice_completes_once(household, apply, pay):
    visa = pay(apply(household))
    job = task(visa, VisaFlow.activate)

    assert job_complete(job_id=job.pk) is False
    assert process_of(visa).task_set.filter(flow_task=VisaFlow.end).count() == 1
