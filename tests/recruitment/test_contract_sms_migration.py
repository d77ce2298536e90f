"""The contract templates' "sms" label becomes the worker_contract_link text: the ministry's own words
are kept, the words the platform seeded are dropped for the shipped text."""

import importlib

import pytest
from django.apps import apps

from musaned.notifications.models import NotificationTemplate
from musaned.notifications.services import notify_worker
from recruitment.models import ContractTemplate

pytestmark = pytest.mark.django_db

migration = importlib.import_module("recruitment.migrations.0008_contracttemplate_labels_without_sms")
AMHARIC_SMS = "ሙሳነድ: {{ employer_name }} የሥራ ውል ያቀርብልዎታል: {{ link }}"


def test_the_sms_label_leaves_the_labels_and_the_ministrys_words_stay():
    indonesian = ContractTemplate.objects.get(language="id")
    seeded = migration.seeded_texts()["id"]
    indonesian.labels = {**indonesian.labels, "sms": seeded}
    indonesian.save()
    amharic = ContractTemplate.objects.create(
        language="am",
        language_name="አማርኛ",
        body="{{ worker_name }}",
        labels={"page_title": "የሥራ ውልዎ", "sms": AMHARIC_SMS},
    )

    migration.move_sms_labels(apps, None)
    migration.move_sms_labels(apps, None)  # run again: nothing more changes

    amharic.refresh_from_db()
    indonesian.refresh_from_db()
    assert amharic.labels == {"page_title": "የሥራ ውልዎ"}
    assert "sms" not in indonesian.labels and indonesian.labels["page_title"] == "Kontrak kerja Anda"
    kept = NotificationTemplate.objects.get(event="worker_contract_link", language="am")
    assert kept.sms == AMHARIC_SMS and kept.edited_at is not None
    assert not NotificationTemplate.objects.filter(
        event="worker_contract_link", language="id", edited_at__isnull=False
    ).exists()

    message = notify_worker(
        to="+251911234567",
        event="worker_contract_link",
        language="am",
        context={"employer_name": "Fahad Al-Harbi", "link": "https://musaned.example/w/abc/"},
    )
    assert message.body == "ሙሳነድ: Fahad Al-Harbi የሥራ ውል ያቀርብልዎታል: https://musaned.example/w/abc/"
