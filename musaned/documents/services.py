"""Issuing documents and checking them by their verification code."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from typing import Any

import segno
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from musaned.accounts.actor import Actor
from musaned.accounts.services import audit_record
from musaned.dates import format_both

from .models import Document
from .rendering import render_pdf

CODE_BYTES = 18  # 144 random bits, 24 URL-safe characters
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ISSUE_ATTEMPTS = 3


def statement_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@transaction.atomic
def document_issue(
    *,
    subject: models.Model,
    kind: str,
    template: str,
    context: dict[str, Any],
    statement: dict[str, Any],
    language: str = "ar",
    valid_until: dt.date | None = None,
    actor: Actor | None = None,
) -> Document:
    """Render, hash and store a new version of `kind` for `subject`, unless the latest one says the same.

    Issuing the same statement again (a redelivered task, a second click) returns the version already
    stored. Whether the actor may cause this document is the calling service's decision, taken before.
    The template receives `context` plus `statement`, `document` and `qr_data_uri`
    (see templates/documents/base_document.html).
    """
    if subject.pk is None:
        raise ValueError("Documents are issued about saved records only.")
    facts = normalise_statement(statement)
    digest = _statement_digest(facts, language, valid_until)
    # The subject's own class, proxies included: its `document_status` decides validity later.
    subject_type = ContentType.objects.get_for_model(subject, for_concrete_model=False)
    versions = Document.objects.filter(subject_type=subject_type, subject_id=str(subject.pk), kind=kind)
    conflicts = 0
    while True:
        latest = versions.order_by("-version").first()
        if latest is not None and latest.statement_digest == digest:
            return latest
        document = Document(
            kind=kind,
            subject_type=subject_type,
            subject_id=str(subject.pk),
            version=latest.version + 1 if latest else 1,
            language=language,
            code=secrets.token_urlsafe(CODE_BYTES),
            statement=facts,
            statement_digest=digest,
            valid_until=valid_until,
        )
        pdf = render_pdf(
            template=template,
            context={**context, **document_template_context(document)},
            language=language,
        )
        document.sha256 = hashlib.sha256(pdf).hexdigest()
        document.size = len(pdf)
        document.pdf.save(f"{kind}.pdf", ContentFile(pdf), save=False)
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:
            # Another worker stored this version (or drew the same code) first: look again.
            document.pdf.delete(save=False)
            conflicts += 1
            if conflicts == ISSUE_ATTEMPTS:
                raise
            continue
        audit_record(
            action="document.issued",
            actor=actor,
            target=document,
            to_state=f"v{document.version}",
            changes={"kind": kind, "subject": f"{subject_type.app_label}.{subject_type.model}:{subject.pk}"},
        )
        return document


def document_verify(*, code: str) -> Document | None:
    """The document printed with this code, or None; malformed codes never reach the database."""
    code = "".join(code.split())
    if not CODE_PATTERN.match(code):
        return None
    return Document.objects.select_related("subject_type").filter(code=code).first()


def document_validity(document: Document, *, today: dt.date | None = None) -> tuple[bool, str]:
    """Whether the document holds now, with the word to show: the subject has the last say if it can."""
    newer = Document.objects.filter(
        subject_type=document.subject_type_id,
        subject_id=document.subject_id,
        kind=document.kind,
        version__gt=document.version,
    )
    if newer.exists():
        return False, _("Replaced by a newer version")
    subject = document.subject
    if subject is None:
        return False, _("No longer valid")
    if hasattr(subject, "document_status"):
        is_valid, label = subject.document_status(document)
        return bool(is_valid), str(label)
    today = today or timezone.localdate()
    if document.valid_until is not None and document.valid_until < today:
        return False, _("Expired")
    return True, _("Valid")


def verification_url(code: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("documents:verify", kwargs={"code": code})


def verification_qr_data_uri(url: str) -> str:
    """The QR code as a PNG of one pixel per module: a few hundred bytes in the HTML, and printed sharp
    at any size because the stylesheet asks for `image-rendering: pixelated` (no smoothing)."""
    return segno.make(url, error="m").png_data_uri(scale=1, border=4)


def document_template_context(document: Document) -> dict[str, Any]:
    """What base_document.html needs about the document itself, beside the caller's own context."""
    url = verification_url(document.code)
    return {
        "statement": document.statement,
        "document": {
            "code": document.code,
            "kind": document.kind,
            "version": document.version,
            "issued_on": timezone.localdate(document.created_at),
            "valid_until": document.valid_until,
            "verify_url": url,
            "verify_form_url": settings.SITE_URL.rstrip("/") + reverse("documents:verify_form"),
        },
        "qr_data_uri": verification_qr_data_uri(url),
    }


def normalise_statement(statement: dict[str, Any]) -> dict[str, Any]:
    """Turn `{"title": ..., "facts": [{"label": ..., "value": ...}, ...]}` into plain strings per language.

    Each title, label and value may be a {"ar": ..., "en": ...} dict, a date (printed Hijri and
    Gregorian), or anything else, which is turned to text under each language in turn (so lazy
    translations and bilingual model names come out right in both).
    """
    if not isinstance(statement, dict) or "title" not in statement or not statement.get("facts"):
        raise ValueError("A statement needs a title and at least one fact.")
    facts = []
    for fact in statement["facts"]:
        if not isinstance(fact, dict) or "label" not in fact or "value" not in fact:
            raise ValueError(f"A fact needs a label and a value, got {fact!r}.")
        facts.append({"label": _in_every_language(fact["label"]), "value": _in_every_language(fact["value"])})
    return {"title": _in_every_language(statement["title"]), "facts": facts}


def _in_every_language(value: Any) -> dict[str, str]:
    texts = {}
    for language in statement_languages():
        if isinstance(value, dict):
            text = value.get(language)
        elif isinstance(value, dt.date):
            text = format_both(value, language)
        else:
            with translation.override(language):
                text = None if value is None else str(value)
        texts[language] = "" if text is None else str(text).strip()
    if not all(texts.values()):
        raise ValueError(f"Every statement text needs all of {statement_languages()}, got {value!r}.")
    return texts


def _statement_digest(facts: dict[str, Any], language: str, valid_until: dt.date | None) -> str:
    payload = json.dumps(
        {
            "statement": facts,
            "language": language,
            "valid_until": valid_until.isoformat() if valid_until else None,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
