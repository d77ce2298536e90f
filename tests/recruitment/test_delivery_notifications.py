"""Every message of the delivery stage reads in Arabic and in English, whatever figures it carries."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FOLDER = Path(settings.BASE_DIR) / "templates" / "notifications"
EVENTS = sorted(path.name for path in FOLDER.iterdir() if path.name.startswith(("contract_", "delivery_")))


def context(recipient) -> dict:
    now, today = timezone.now(), timezone.localdate()
    return {
        "recipient": recipient,
        "url": "/recruitment/cases/RQ-1/",
        "link": "http://testserver/recruitment/cases/RQ-1/",
        "reference": "RQ-1",
        "amount": Decimal("16100.00"),
        "refund": Decimal("14758.33"),
        "penalty": Decimal("300.00"),
        "fee": Decimal("700.00"),
        "released": Decimal("7000.00"),
        "owed": Decimal("5658.33"),
        "per_day": Decimal("100.00"),
        "days": 3,
        "bill_number": "123456789012",
        "formula": "(16,100 SAR ÷ 24 months) × 22 months remaining",
        "step": "Medical check",
        "note": "",
        "reason": "Plans changed",
        "replacement": "",
        "refused": "The visa is too old.",
        "by_office": True,
        "due_at": now,
        "due_on": today,
        "hard_limit": today + dt.timedelta(days=30),
        "arrived_at": now,
        "handover_due_at": now + dt.timedelta(hours=24),
        "guarantee_ends_on": today + dt.timedelta(days=90),
        "ends_on": today + dt.timedelta(days=90),
        "exit_on": today,
        "occurred_on": today,
    }


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("event", EVENTS)
def test_each_message_renders(event, language):
    values = context(UserFactory(first_name="Sara"))
    with translation.override(language):
        for part in ("subject", "body", "sms"):
            if (FOLDER / event / f"{part}.txt").exists():
                text = render_to_string(f"notifications/{event}/{part}.txt", values).strip()
                assert text and "{{" not in text and "{%" not in text, (event, part)
                assert "RQ-1" in text or part == "body", (event, part)
