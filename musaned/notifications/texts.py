"""The texts of notifications: one per event and language, shipped as files and editable by admins.

Each event has a folder texts/<event>/ holding:

- event.json: what the event is about, for the preference page, the admin and the tests, e.g.
  {"topic": "visa", "audience": "household", "mandatory": false,
   "sample": {"number": "1234567890", "valid_until": {"$date": "2027-01-31"}}}
  `sample` is a context the texts render with in the admin preview and in the tests; typed values are
  written {"$date": "YYYY-MM-DD"}, {"$datetime": ISO moment} or {"$decimal": "1500.00"}.
- <language>.txt for each language it is shipped in (ar, en, and for workers' events the worker
  languages): sections "[subject]", "[body]" and "[sms]", each a Django template in that language.

The file is the shipped text; the admin's copy (NotificationTemplate) overrides it. Both render on one
engine that has the notification filters built in and can load nothing else, in plain text (no HTML
escaping). Every context also holds `recipient_name` and `link` (the page's full address, or "").
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

TEXTS_DIR = Path(__file__).resolve().parent / "texts"
SECTIONS = ("subject", "body", "sms")
TOPIC_LABELS = {
    "account": _("Your account and its security"),
    "visa": _("Visa applications"),
    "payment": _("Bills, payments and refunds"),
    "request": _("Recruitment requests and offers"),
    "delivery": _("Delivery, arrival and guarantee"),
    "employment": _("Your workers' residence status"),
    "complaint": _("Complaints"),
    "office": _("The office's licence and standing"),
    "digest": _("The office's daily summary"),
}
TOPICS = tuple(TOPIC_LABELS)
AUDIENCES = ("household", "office", "ministry", "worker", "anyone")

BUILTINS = [
    "django.templatetags.i18n",
    "musaned.notifications.templatetags.notification_text",
    "visas.templatetags.visa_display",
    # Last of the two that define `sar`, so that an amount reads with its currency ("2,300 SAR").
    "musaned.billing.templatetags.billing_tags",
    "musaned.templatetags.calendars",
]
ENGINE = Engine(
    builtins=BUILTINS,
    autoescape=False,
    # No loaders and no app directories: an admin's text cannot include or extend another file.
    dirs=[],
    app_dirs=False,
)


@dataclass(frozen=True)
class Text:
    """One event's words in one language."""

    subject: str = ""
    body: str = ""
    sms: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "body": self.body, "sms": self.sms}


@dataclass(frozen=True)
class Event:
    name: str
    topic: str
    audience: str
    mandatory: bool = False
    sample: dict[str, Any] = field(default_factory=dict)


def parse(source: str) -> Text:
    """Split a shipped file into its sections; a missing section is empty."""
    parts: dict[str, list[str]] = {}
    current = None
    for line in source.splitlines():
        header = line.strip()
        if header.startswith("[") and header.endswith("]") and header[1:-1] in SECTIONS:
            current = header[1:-1]
            parts[current] = []
        elif current is not None:
            parts[current].append(line)
        elif line.strip():
            raise ValueError(f"text before the first section: {line!r}")
    return Text(**{name: "\n".join(lines).strip() for name, lines in parts.items()})


@cache
def events() -> dict[str, Event]:
    """Every event the platform can notify about, from the shipped folders."""
    found = {}
    for meta in sorted(TEXTS_DIR.glob("*/event.json")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        event = Event(name=meta.parent.name, **data)
        if event.topic not in TOPICS or event.audience not in AUDIENCES:
            raise ValueError(f"{meta}: unknown topic or audience")
        found[event.name] = event
    return found


@cache
def shipped(event: str, language: str) -> Text | None:
    """The text shipped for `event` in `language`, or None when there is none."""
    path = TEXTS_DIR / event / f"{language}.txt"
    return parse(path.read_text(encoding="utf-8")) if path.is_file() else None


def shipped_languages(event: str) -> list[str]:
    return sorted(path.stem for path in (TEXTS_DIR / event).glob("*.txt"))


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, raw),) = value.items()
        if kind == "$date":
            return dt.date.fromisoformat(raw)
        if kind == "$datetime":
            return dt.datetime.fromisoformat(raw)
        if kind == "$decimal":
            return Decimal(raw)
    return value


def sample_context(event: str) -> dict[str, Any]:
    """The event's sample context, with dates and amounts as the real senders pass them."""
    values = {key: _typed(value) for key, value in events()[event].sample.items()}
    return {"recipient_name": "Noura Al-Qahtani", "link": "https://musaned.example/case/1/", **values}


def compile_errors(text: Text) -> dict[str, str]:
    """Sections that are not valid templates, with the engine's reason."""
    errors = {}
    for name, source in text.as_dict().items():
        try:
            ENGINE.from_string(source)
        except TemplateSyntaxError as exc:
            errors[name] = str(exc)
    return errors


def render(source: str, context: dict[str, Any]) -> str:
    """One section in the active language; a subject is folded onto one line by the caller."""
    return ENGINE.from_string(source).render(Context(context, autoescape=False)).strip()


# The same engine, showing a missing placeholder instead of rendering it empty.
STRICT_ENGINE = Engine(
    builtins=BUILTINS, autoescape=False, dirs=[], app_dirs=False, string_if_invalid="\x00%s\x00"
)


def unknown_variables(source: str, context: dict[str, Any]) -> list[str]:
    """Placeholders in `source` that `context` does not provide (rendering with the sample shows them)."""
    output = STRICT_ENGINE.from_string(source).render(Context(context, autoescape=False))
    return sorted(set(output.split("\x00")[1::2]))
