"""Celery receivers that carry the correlation id from whoever enqueues a task to the worker."""

from __future__ import annotations

import threading

from celery.signals import before_task_publish, task_postrun, task_prerun

from musaned.integrations.resilience import request_header

from .logs import TASK_HEADER, bind_request_id, current_request_id, unbind_request_id

_bound = threading.local()


@before_task_publish.connect(dispatch_uid="musaned.ops.request_id_out")
def _send_request_id(headers=None, **_):
    """The message leaves with the id of the request or task that enqueued it (also on a retry)."""
    request_id = current_request_id()
    if headers is not None and request_id:
        headers.setdefault(TASK_HEADER, request_id)


@task_prerun.connect(dispatch_uid="musaned.ops.request_id_in")
def _bind_request_id(task_id=None, task=None, **_):
    """The task logs under the id it was sent with; run in-process, under the caller's; else its own."""
    request_id = request_header(task.request, TASK_HEADER) or current_request_id() or task_id
    stack = getattr(_bound, "tokens", None)
    if stack is None:
        stack = _bound.tokens = []
    stack.append(bind_request_id(request_id))


@task_postrun.connect(dispatch_uid="musaned.ops.request_id_done")
def _unbind_request_id(**_):
    stack = getattr(_bound, "tokens", None)
    if stack:
        unbind_request_id(stack.pop())
