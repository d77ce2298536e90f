from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.models import AuditEvent
from musaned.policy.models import Country, RuleSet

pytestmark = pytest.mark.django_db


def seeded() -> RuleSet:
    return RuleSet.objects.get(effective_from=date(2024, 1, 1))


def change_url(rule_set: RuleSet) -> str:
    return reverse("admin:policy_ruleset_change", args=[rule_set.pk])


def form_data(rule_set: RuleSet, **overrides) -> dict:
    """What the admin change form posts for a rule set without tiers or country rules."""
    data = {
        field.name: getattr(rule_set, field.name)
        for field in RuleSet._meta.concrete_fields
        if not field.primary_key
    }
    data.update(overrides)
    for prefix in ("tiers", "country_rules"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return {key: ("on" if value is True else value) for key, value in data.items() if value is not False}


def test_rule_set_list_shows_which_set_is_in_force(admin_browser):
    RuleSet.objects.create(name="Next year", effective_from=timezone.localdate() + timedelta(days=40))
    response = admin_browser.get(reverse("admin:policy_ruleset_changelist"))
    assert response.status_code == 200
    assert "In force" in response.text and "Scheduled" in response.text


def test_started_rule_set_shows_figures_read_only_and_ignores_changes(admin_browser):
    rules = seeded()
    page = admin_browser.get(change_url(rules))
    assert page.status_code == 200
    assert 'name="visa_fee"' not in page.text and 'name="name"' in page.text
    assert "can no longer change" in page.text
    assert 'name="tiers-0-min_balance"' not in page.text

    response = admin_browser.post(change_url(rules), form_data(rules, name="Rules of 2024", visa_fee="1.00"))

    assert response.status_code == 302
    rules.refresh_from_db()
    assert (rules.name, rules.visa_fee) == ("Rules of 2024", Decimal("2000.00"))
    event = AuditEvent.objects.get(action="policy.ruleset_changed")
    assert event.changes == {"name": ["2024", "Rules of 2024"]}


def test_started_rule_set_cannot_be_deleted(admin_browser):
    response = admin_browser.post(reverse("admin:policy_ruleset_delete", args=[seeded().pk]), {"post": "yes"})
    assert response.status_code == 403
    assert RuleSet.objects.filter(pk=seeded().pk).exists()


def test_future_rule_set_figures_can_be_changed_and_are_audited(admin_browser):
    future = RuleSet.objects.create(name="Next", effective_from=timezone.localdate() + timedelta(days=40))
    page = admin_browser.get(change_url(future))
    assert 'name="visa_fee"' in page.text

    response = admin_browser.post(change_url(future), form_data(future, visa_fee="2300.00"))

    assert response.status_code == 302
    future.refresh_from_db()
    assert future.visa_fee == Decimal("2300.00")
    event = AuditEvent.objects.get(action="policy.ruleset_changed")
    assert event.changes["visa_fee"] == ["2000.00", "2300.00"]


def test_admin_copies_a_started_set_to_a_new_date(admin_browser):
    rules = seeded()
    copy_url = reverse("admin:policy_ruleset_copy", args=[rules.pk])
    assert copy_url in admin_browser.get(change_url(rules)).text

    start = timezone.localdate() + timedelta(days=60)
    response = admin_browser.post(
        copy_url,
        {"name": "2026", "effective_from_calendar": "gregorian", "effective_from": start.isoformat()},
    )

    copy = RuleSet.objects.get(effective_from=start)
    assert response.status_code == 302 and response.url == change_url(copy)
    assert copy.tiers.count() == 5 and copy.country_rules.count() == Country.objects.count()
    assert 'name="visa_fee"' in admin_browser.get(change_url(copy)).text


def test_copy_to_a_past_date_is_refused_with_a_message(admin_browser):
    rules = seeded()
    response = admin_browser.post(
        reverse("admin:policy_ruleset_copy", args=[rules.pk]),
        {"name": "Backdated", "effective_from_calendar": "gregorian", "effective_from": "2024-05-01"},
    )
    assert response.status_code == 200
    assert "must start tomorrow or later" in response.text
    assert RuleSet.objects.count() == 1


def test_copy_action_on_the_list_leads_to_the_copy_form(admin_browser):
    rules = seeded()
    response = admin_browser.post(
        reverse("admin:policy_ruleset_changelist"),
        {"action": "copy_selected", "_selected_action": [rules.pk]},
    )
    assert response.status_code == 302
    assert response.url == reverse("admin:policy_ruleset_copy", args=[rules.pk])


def test_country_edit_goes_through_the_audited_service(admin_browser):
    kenya = Country.objects.get(code="KE")
    response = admin_browser.post(
        reverse("admin:policy_country_change", args=[kenya.pk]),
        {"code": "KE", "name_en": "Kenya", "name_ar": "كينيا", "worker_language": "en", "active": "on"},
    )
    assert response.status_code == 302
    kenya.refresh_from_db()
    assert kenya.worker_language == "en"
    assert AuditEvent.objects.get(action="policy.country_changed").changes == {
        "worker_language": ["sw", "en"]
    }


def test_admin_adds_a_future_rule_set_with_its_tiers(admin_browser):
    start = timezone.localdate() + timedelta(days=90)
    data = form_data(RuleSet(name="Next decree", effective_from=start))
    data.update(
        {
            "tiers-TOTAL_FORMS": 1,
            "tiers-0-residency": "citizen",
            "tiers-0-ordinal": 1,
            "tiers-0-min_monthly_salary": "3000",
            "tiers-0-min_balance": "",
        }
    )
    response = admin_browser.post(reverse("admin:policy_ruleset_add"), data)

    assert response.status_code == 302
    created = RuleSet.objects.get(effective_from=start)
    assert [(t.ordinal, t.min_monthly_salary, t.min_balance) for t in created.tiers.all()] == [
        (1, 3000, None)
    ]
    assert {"policy.ruleset_added", "policy.eligibilitytier_added"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )


def test_admin_cannot_add_a_backdated_rule_set(admin_browser):
    data = form_data(RuleSet(name="Backdated", effective_from=date(2024, 6, 1)))
    response = admin_browser.post(reverse("admin:policy_ruleset_add"), data)
    assert response.status_code == 200
    assert "must start tomorrow or later" in response.text
    assert RuleSet.objects.count() == 1
