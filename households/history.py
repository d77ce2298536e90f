"""Turns audit events into lines a household can read: what was done, by whom, and what changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from musaned.accounts.models import AuditEvent
from musaned.dates import format_both
from musaned.policy.models import Country, Occupation

from .models import EmployedWorker, EmploymentFlag, Household, HouseholdMember, IncomeProof

ACTIONS: dict[str, tuple[Any, type[models.Model]]] = {
    "household.registered": (gettext_lazy("Registered the household"), Household),
    "household.profile_updated": (gettext_lazy("Updated the profile"), Household),
    "household.finances_updated": (gettext_lazy("Updated income and bank balance"), Household),
    "household.phone_code_sent": (gettext_lazy("Sent a verification code by SMS"), Household),
    "household.mobile_verified": (gettext_lazy("Verified the mobile number"), Household),
    "household.identity_check_requested": (gettext_lazy("Asked the identity service again"), Household),
    "household.identity_confirmed": (gettext_lazy("Identity confirmed by the identity service"), Household),
    "household.identity_rejected": (
        gettext_lazy("Identity not confirmed by the identity service"),
        Household,
    ),
    "household.member_added": (gettext_lazy("Added a household member"), HouseholdMember),
    "household.member_updated": (gettext_lazy("Changed a household member"), HouseholdMember),
    "household.member_removed": (gettext_lazy("Removed a household member"), HouseholdMember),
    "household.proof_added": (gettext_lazy("Uploaded an income proof"), IncomeProof),
    "household.proof_removed": (gettext_lazy("Removed an income proof"), IncomeProof),
    "household.proof_downloaded": (gettext_lazy("A ministry officer downloaded a document"), IncomeProof),
    "household.worker_added": (gettext_lazy("Added a domestic worker"), EmployedWorker),
    "household.worker_updated": (gettext_lazy("Changed a domestic worker's details"), EmployedWorker),
    "household.worker_ended": (gettext_lazy("Ended a domestic worker's employment"), EmployedWorker),
    "household.worker_flagged": (
        gettext_lazy("The passports service reported a domestic worker absent or in custody"),
        EmploymentFlag,
    ),
    "household.worker_flag_closed": (
        gettext_lazy("A report of absence or custody was closed"),
        EmploymentFlag,
    ),
}
RELATED = {"nationality": Country, "occupation": Occupation}
EMPTY = "—"


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str

    @property
    def unchanged(self) -> bool:
        return self.old == self.new


@dataclass(frozen=True)
class Entry:
    when: dt.datetime
    when_text: str
    what: str
    who: str
    changes: list[Change]


def who_acted(event: AuditEvent) -> str:
    if event.actor is None:
        return _("Musaned (automatic)")
    if event.on_behalf_of_id and event.on_behalf_of_id != event.actor_id:
        return _("%(person)s, for %(account)s") % {"person": event.actor, "account": event.on_behalf_of}
    return str(event.actor)


def describe(events: Iterable[AuditEvent]) -> list[Entry]:
    events = list(events)
    names = _related_names(events)
    entries = []
    for event in events:
        label, model = ACTIONS.get(event.action, (event.action, Household))
        local = timezone.localtime(event.created_at)
        entries.append(
            Entry(
                when=event.created_at,
                when_text=f"{format_both(local)} {time_format(local, 'H:i')}",
                what=str(label),
                who=who_acted(event),
                changes=[
                    Change(_field_label(model, name), *(_value(model, name, value, names) for value in pair))
                    for name, pair in (event.changes or {}).items()
                    if isinstance(pair, list) and len(pair) == 2
                ],
            )
        )
    return entries


def _related_names(events: list[AuditEvent]) -> dict[str, dict[str, str]]:
    """One query per related table for every country or occupation named in the page's events."""
    wanted: dict[str, set[str]] = {name: set() for name in RELATED}
    for event in events:
        for name in RELATED:
            for value in (event.changes or {}).get(name) or []:
                if value not in (None, ""):
                    wanted[name].add(str(value))
    return {
        name: {str(obj.pk): obj.name for obj in RELATED[name].objects.filter(pk__in=wanted[name])}
        if wanted[name]
        else {}
        for name in RELATED
    }


def _field_label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:  # a field no longer on the model: show its name rather than hide the change
        return name


def _value(model: type[models.Model], name: str, value: Any, names: dict[str, dict[str, str]]) -> str:
    if value is None or value == "":
        return EMPTY
    if name in RELATED:
        return names[name].get(str(value), str(value))
    if name == "identity_problem":
        return _(value)
    if name == "size":
        return filesizeformat(value)
    if name == "sha256":
        return f"{str(value)[:12]}…"
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(str(value))
        if moment is not None:
            local = timezone.localtime(moment)
            return f"{format_both(local)} {time_format(local, 'H:i')}"
    elif isinstance(field, models.DateField):
        day = parse_date(str(value))
        if day is not None:
            return format_both(day)
    return str(value)
