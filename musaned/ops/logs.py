"""The correlation id: one id per web request or task, on every log line written while serving it.

It comes from the incoming X-Request-ID header or is made here (middleware.py), travels in the
headers of the tasks that request enqueues (signals.py), and is set again in the worker that runs
them. Set LOG_FORMAT=json for one JSON object per line (the default is plain text).

This module imports nothing from Django: the logging configuration loads it while settings load.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

REQUEST_ID_HEADER = "X-Request-ID"
# The Celery message header that carries the id ("correlation_id" is Celery's own, the task id).
TASK_HEADER = "musaned_request_id"
# What an id from outside may look like: anything else is replaced, so log lines cannot be forged.
VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str:
    """`value` if it is an acceptable id, else a new one."""
    return value if value and VALID_ID.fullmatch(value) else new_request_id()


def bind_request_id(value: str) -> contextvars.Token:
    """Make `value` the current id until `unbind_request_id` is given the returned token."""
    return _request_id.set(value)


def unbind_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


@contextmanager
def request_id_bound(value: str) -> Iterator[str]:
    """Everything logged inside the block carries `value`."""
    token = bind_request_id(value)
    try:
        yield value
    finally:
        unbind_request_id(token)


class RequestIdFilter(logging.Filter):
    """Puts the current correlation id on each record (`record.request_id`; "-" outside any)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, and the traceback
    when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
