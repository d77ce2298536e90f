"""Who acts next on a recruitment request, from the household's request to the worker's acceptance.

The household chooses an office; the office sends offers before its answer deadline (a timer: late,
the request goes back to the household to choose another office); the household chooses a worker or
turns every offer down (the same office answers again); the worker accepts or declines the contract
before her own deadline (a timer: silent, she is taken to decline). Payment and delivery follow on the
case page.

The process routes and assigns; what the request is stays in RecruitmentRequest.state, written only by
the services in requests.py, which complete the tasks below. After every step `route` reads the state
afresh and opens the next task, so a step taken by a service (or a timer) always lands on the right one.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import task_finished
from viewflow.workflow.status import STATUS

from .models import Office, RecruitmentProcess, RecruitmentRequest, RequestState
from .office_request_views import OfficeOffersView
from .selectors import membership_of


def _state(activation) -> tuple[str | None, int | None]:
    row = (
        RecruitmentRequest.objects.filter(pk=activation.process.artifact_object_id)
        .values_list("state", "office_id")
        .first()
    )
    return row if row is not None else (None, None)


def assigned_office(process) -> Office | None:
    """The office the request is with when its task is created: only that office's staff may take it."""
    request = process.request
    return request.office if request is not None else None


def works_on(user, task) -> bool:
    """The person works for the office the task was created for (and may work requests)."""
    if user is None or not user.is_authenticated or not user.has_perm("recruitment.work_requests"):
        return False
    membership = membership_of(user)
    return (
        membership is not None
        and task.owner_permission_content_type_id == ContentType.objects.get_for_model(Office).pk
        and task.owner_permission_obj_pk == str(membership.office_id)
    )


class OfficeTaskActivation(ViewActivation):
    @Activation.status.transition(source=[STATUS.NEW, STATUS.ASSIGNED], target=STATUS.DONE)
    def withdraw(self) -> None:
        """The household took the request to another office: this office's task ends unanswered.

        Finishing (rather than cancelling) lets the flow move on from it, and ends its deadline timer.
        """
        self.task.finished = now()
        self.task.save()
        task_finished.send(sender=self.flow_class, process=self.process, task=self.task)


class OfficeTask(flow.View):
    """A task for the staff of one office: on top of the permission, they must work for that office."""

    activation_class = OfficeTaskActivation

    def can_assign(self, user, task) -> bool:
        return super().can_assign(user, task) and works_on(user, task)

    def can_execute(self, user, task) -> bool:
        return super().can_execute(user, task) and works_on(user, task)


class RecruitmentFlow(flow.Flow):
    """The recruitment request's process (titles below are translated, so not taken from this text)."""

    process_title = _("Recruitment request")
    process_description = _(
        "From the household's request to the worker's acceptance: the office's offers, the household's "
        "choice and the worker's answer, each before its deadline."
    )
    process_class = RecruitmentProcess
    # Offers, choices, the worker's answer and timers may reach one process at the same moment.
    lock_impl = lock.SelectForUpdateLock(nowait=False)
    process_summary_template = "{{ process.request.reference }} · {{ process.request.get_state_display }}"

    start = flow.StartHandle(this.start_process).Annotation(title=_("Request submitted")).Next(this.route)
    route = (
        flow.Switch()
        .Annotation(title=_("Who acts next?"))
        .Case(this.choose_office, this.needs_office)
        .Case(this.send_offers, this.awaiting_offers)
        .Case(this.select_offer, this.offers_sent)
        .Case(this.worker_decision, this.awaiting_worker)
        .Default(this.end)
    )
    choose_office = flow.Handle().Annotation(title=_("The household chooses an office")).Next(this.route)
    send_offers = (
        OfficeTask(OfficeOffersView.as_view())
        .Annotation(
            title=_("Send offers"),
            summary_template="{{ process.request.reference }} · {{ process.request.visa.occupation }} · "
            "{{ process.request.visa.nationality }} · {{ process.request.get_mode_display }}",
        )
        .Permission("recruitment.work_requests", obj=assigned_office)
        .OnTimeout(this.answer_due_at, this.office_late, title=_("The office's answer deadline"))
        .Next(this.route)
    )
    office_late = (
        flow.Function(this.mark_office_late).Annotation(title=_("The office did not answer")).Next(this.route)
    )
    select_offer = flow.Handle().Annotation(title=_("The household chooses a worker")).Next(this.route)
    worker_decision = (
        flow.Handle()
        .Annotation(title=_("The worker accepts or declines the contract"))
        .OnTimeout(this.worker_due_at, this.worker_silent, title=_("The worker's answer deadline"))
        .Next(this.route)
    )
    worker_silent = (
        flow.Function(this.decline_for_silence)
        .Annotation(title=_("The worker did not answer"))
        .Next(this.route)
    )
    end = flow.End().Annotation(title=_("Contract accepted, or request closed"))

    def has_view_permission(self, user, obj=None) -> bool:
        """Office staff see the process pages (office_request_views narrows them to their own office)."""
        return user.is_authenticated and user.has_perm("recruitment.work_requests")

    def start_process(self, activation, request: RecruitmentRequest):
        activation.process.artifact = request
        return activation.process

    def needs_office(self, activation) -> bool:
        state, office_id = _state(activation)
        return state == RequestState.OFFICE_LATE or (state == RequestState.AWAITING_OFFERS and not office_id)

    def awaiting_offers(self, activation) -> bool:
        state, office_id = _state(activation)
        return state == RequestState.AWAITING_OFFERS and bool(office_id)

    def offers_sent(self, activation) -> bool:
        return _state(activation)[0] == RequestState.OFFERS_SENT

    def awaiting_worker(self, activation) -> bool:
        return _state(activation)[0] == RequestState.AWAITING_WORKER

    def answer_due_at(self, activation) -> dt.datetime:
        request = activation.process.request
        return request.answer_due_at if request and request.answer_due_at else timezone.now()

    def worker_due_at(self, activation) -> dt.datetime:
        request = activation.process.request
        contract = request.contracts.filter(worker_declined_at__isnull=True).first() if request else None
        return contract.worker_decision_due_at if contract else timezone.now()

    def mark_office_late(self, activation) -> None:
        from .requests import request_mark_office_late

        request_mark_office_late(request=activation.process.request)

    def decline_for_silence(self, activation) -> None:
        from .requests import contract_worker_timeout

        request = activation.process.request
        contract = request.contracts.filter(worker_declined_at__isnull=True).first() if request else None
        if contract is not None:
            contract_worker_timeout(contract=contract)
