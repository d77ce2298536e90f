"""Checks on uploaded proof documents: the type comes from the bytes, never from the file name."""

import hashlib

import filetype
from django.core.files.uploadedfile import UploadedFile

ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def detect_type(upload: UploadedFile) -> str | None:
    """The MIME type read from the file's first bytes, when it is one we accept."""
    upload.seek(0)
    head = upload.read(261)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        return None
    return kind.mime


def sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
