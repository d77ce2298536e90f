"""Celery discovers this module; each part of the recruitment stage keeps its tasks beside its services."""

from . import complaints_tasks, delivery_tasks, digest_tasks, offices_tasks, requests_tasks  # noqa: F401
