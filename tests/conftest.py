"""Shared fixtures: fast hashing, private files in a temporary folder, Celery run in-process."""

import pytest

from musaned.celery import app as celery_app


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    settings.INTEGRATIONS_MODE = "fake"
    settings.INTEGRATIONS_FAKE_FAILURES = {}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False
