"""The text message that brings a worker her contract link is now the notification event
"worker_contract_link", written per language like every other message: the contract templates' labels
lose their "sms" key.

A text the ministry wrote itself (a language the platform does not ship, or a change to a shipped one)
becomes that event's edited text in its language, so the worker keeps receiving the ministry's words.
"""

import importlib

from django.db import migrations
from django.utils import timezone

EVENT = "worker_contract_link"


def seeded_texts() -> dict[str, str]:
    seed = importlib.import_module("recruitment.migrations.0006_seed_contract_templates")
    return {language: labels.get("sms", "") for language, _name, _body, labels in seed.TEMPLATES}


def move_sms_labels(apps, schema_editor):
    ContractTemplate = apps.get_model("recruitment", "ContractTemplate")
    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    seeded = seeded_texts()
    for template in ContractTemplate.objects.all():
        labels = dict(template.labels or {})
        if "sms" not in labels:
            continue
        text = str(labels.pop("sms") or "").strip()
        template.labels = labels
        template.save(update_fields=["labels"])
        if text and text != seeded.get(template.language, "").strip():
            NotificationTemplate.objects.get_or_create(
                event=EVENT, language=template.language, defaults={"sms": text, "edited_at": timezone.now()}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0007_officedigest"),
        ("notifications", "0002_notification_texts_preferences_limits"),
    ]

    operations = [migrations.RunPython(move_sms_labels, migrations.RunPython.noop)]
