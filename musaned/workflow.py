"""Workflow pieces the open-source viewflow lacks: a node that hands its work to Celery, and the timer sweep.

`CeleryJob` enqueues a Celery task once the transaction that reached it commits. The task knows
nothing about the flow: when it succeeds, a linked callback completes the job and the flow moves on;
when it fails for good (retries exhausted or a refusal), the job is marked as failed, where a flow
manager sees it and can revive it (which enqueues the task again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.timezone import now
from viewflow import this
from viewflow.workflow.activation import Activation, has_manage_permission
from viewflow.workflow.flow import mixins as flow_mixins
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.models import Task
from viewflow.workflow.nodes import AbstractJob, AbstractJobActivation
from viewflow.workflow.signals import task_failed
from viewflow.workflow.status import STATUS
from viewflow.workflow.timers import fire_due_timers


class CeleryJobActivation(AbstractJobActivation):
    @Activation.status.transition(source=STATUS.NEW, target=STATUS.SCHEDULED)
    def activate(self) -> None:
        """Keep the job as scheduled; send its Celery task after the commit (never for a rolled-back step)."""
        self.task.save()
        self.flow_task.enqueue(self)

    @Activation.status.transition(
        source=[STATUS.NEW, STATUS.SCHEDULED, STATUS.ERROR],
        target=STATUS.CANCELED,
        permission=has_manage_permission,
    )
    def cancel(self) -> None:
        self.task.finished = now()
        self.task.save()


class CeleryJob(
    flow_mixins.NodeDetailMixin,
    flow_mixins.NodeCancelMixin,
    flow_mixins.NodeReviveMixin,
    AbstractJob,
):
    """Run `task` (a Celery task's dotted path) with `task_kwargs(activation)`; continue when it succeeds.

    The task must be idempotent: a redelivered message runs it again, and completing the job twice is
    harmless (the second report finds it done).
    """

    activation_class = CeleryJobActivation
    index_view_class = flow_views.IndexTaskView
    detail_view_class = flow_views.DetailTaskView
    cancel_view_class = flow_views.CancelTaskView
    revive_view_class = flow_views.ReviveTaskView

    def __init__(self, task: str, task_kwargs: Callable[[Activation], dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._celery_task = task
        self._task_kwargs = task_kwargs

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._task_kwargs = this.resolve(instance, self._task_kwargs)

    def enqueue(self, activation: Activation) -> None:
        celery_task = import_string(self._celery_task)
        task_kwargs = self._task_kwargs(activation)
        job_id, external_id = activation.task.pk, activation.task.external_task_id
        transaction.on_commit(
            lambda: celery_task.apply_async(
                kwargs=task_kwargs,
                task_id=external_id,
                link=job_done.si(job_id=job_id),
                link_error=job_failed.s(job_id=job_id),
            )
        )


def job_complete(*, job_id: int) -> bool:
    """The job's task succeeded: finish the job and activate what follows; False if nothing was left to do."""
    task = Task.objects.filter(pk=job_id).first()
    if task is None:
        return False
    with task.activation() as activation:
        if activation.start.can_proceed():
            activation.start()
        if not activation.execute.can_proceed():
            return False
        activation.execute()
    return True


def job_record_failure(*, job_id: int, error: str, details: str = "") -> bool:
    """The job's task failed for good: the job shows the error until a manager revives or cancels it."""
    task = Task.objects.filter(pk=job_id).first()
    if task is None:
        return False
    with task.activation() as activation:
        if activation.start.can_proceed():
            activation.start()
        if activation.status != STATUS.STARTED:
            return False
        task = activation.task
        task.data = {**(task.data or {}), "_exception": {"title": error[:500], "traceback": details}}
        task.finished = now()
        activation._set_status(STATUS.ERROR)
        task.save()
        task_failed.send(sender=activation.flow_class, process=activation.process, task=task)
    return True


@shared_task
def job_done(job_id: int) -> None:
    job_complete(job_id=job_id)


@shared_task
def job_failed(request: Any, exc: BaseException, traceback: str, job_id: int) -> None:
    """Celery calls this (an errback) with the failed task's request, exception and traceback."""
    job_record_failure(job_id=job_id, error=f"{type(exc).__name__}: {exc}", details=str(traceback or ""))


@shared_task
def fire_workflow_timers() -> int:
    """Beat task: fire every flow timer that is due (deadlines, reminders); safe to run in parallel."""
    return fire_due_timers()
