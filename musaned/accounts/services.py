"""Writes the accounts app knows by name: audit trail, delegations, compromised accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .actor import Actor
from .models import AuditEvent


def audit_record(
    *,
    action: str,
    actor: Actor | None,
    target: models.Model | None = None,
    from_state: str = "",
    to_state: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one act; `actor=None` means the system did it (a task, a schedule)."""
    return AuditEvent.objects.create(
        action=action,
        actor=actor.user if actor else None,
        on_behalf_of=actor.principal if actor else None,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        from_state=str(from_state or ""),
        to_state=str(to_state or ""),
        changes=changes or {},
        ip_address=actor.ip_address if actor else None,
        user_agent=(actor.user_agent if actor else "")[:300],
    )


def model_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-by-field difference, as {field: [old, new]}, for the audit trail."""
    return {
        key: [_plain(before.get(key)), _plain(value)]
        for key, value in after.items()
        if before.get(key) != value
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
