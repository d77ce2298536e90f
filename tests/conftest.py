"""Shared fixtures: fast hashing, private files in a temporary folder, Celery run in-process."""

import pytest
from django.contrib.contenttypes.models import ContentType

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
    # A transactional test's flush recreates content types under new ids: never trust ids cached before.
    ContentType.objects.clear_cache()
    yield
    celery_app.conf.task_always_eager = False


def pytest_collection_modifyitems(items):
    """Every test that really commits puts the seeded data back afterwards (serialized rollback).

    A flush without it re-runs post_migrate (role groups, permissions), whose rows would then clash
    with the data a later serialized-rollback test restores.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            committed = pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True})
            item.add_marker(committed, append=False)
