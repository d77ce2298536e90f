"""Every PDF the platform issues, kept once per version, and checkable by anyone holding its code."""

import uuid

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musaned.storage import private_storage


def document_upload_to(instance: "Document", filename: str) -> str:
    """A random name: the path says nothing about whose document it is."""
    return f"documents/{instance.kind}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


class Document(models.Model):
    """One issued version of a document (visa, receipt, contract, ...) about one record, its subject."""

    kind = models.CharField(_("kind"), max_length=40)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.CharField(max_length=64)
    subject = GenericForeignKey("subject_type", "subject_id")
    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=8)

    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to=document_upload_to, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))

    # Printed under the QR code; random, so holding one code tells nothing about any other document.
    code = models.CharField(_("verification code"), max_length=64, unique=True)
    # Exactly the facts printed on the document, in every language: all the verification page shows.
    statement = models.JSONField(_("what the document states"))
    # Fingerprint of the statement, language and validity: the same fingerprint is the same version.
    statement_digest = models.CharField(max_length=64)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind", "version"], name="document_one_row_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version} ({self.code[:4]}…)"
