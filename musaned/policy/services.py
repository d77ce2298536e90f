"""Which rules apply on a day, and the writes admins make to rules and reference data."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from musaned.accounts.actor import Actor
from musaned.accounts.services import audit_record, model_changes

from .models import CountryRule, EligibilityTier, RuleSet


class NoRulesInForce(Exception):
    """No rule set had started on the day asked about: nothing can be decided for that day."""

    def __init__(self, on: date):
        self.on = on
        super().__init__(_("No rule set is in force on %(date)s.") % {"date": on.isoformat()})


def rules_in_force(*, on: date) -> RuleSet:
    """The rule set with the latest start on or before `on`, with its tiers and country rules loaded."""
    rule_set = (
        RuleSet.objects.filter(effective_from__lte=on)
        .order_by("-effective_from")
        .prefetch_related(
            "tiers", models.Prefetch("country_rules", CountryRule.objects.select_related("country"))
        )
        .first()
    )
    if rule_set is None:
        raise NoRulesInForce(on)
    return rule_set


def _require_policy_permission(actor: Actor | None, codename: str) -> None:
    """Rules are the ministry's own act: only an account holding the permission, never a delegate."""
    if actor is None:
        return
    if actor.is_delegate or not actor.user.has_perm(f"policy.{codename}"):
        raise PermissionDenied(_("You are not allowed to change the rules."))


@transaction.atomic
def rule_set_copy(*, source: RuleSet, effective_from: date, name: str, actor: Actor | None) -> RuleSet:
    """Start a new dated version: same figures, tiers and country rules, editable until its start."""
    _require_policy_permission(actor, "add_ruleset")
    copy = RuleSet(**{field: getattr(source, field) for field in RuleSet.figure_fields()})
    copy.effective_from = effective_from
    copy.name = name
    copy.notes = source.notes
    copy.full_clean()
    copy.save()
    EligibilityTier.objects.bulk_create(
        EligibilityTier(
            rule_set=copy,
            residency=tier.residency,
            ordinal=tier.ordinal,
            min_monthly_salary=tier.min_monthly_salary,
            min_balance=tier.min_balance,
        )
        for tier in source.tiers.all()
    )
    CountryRule.objects.bulk_create(
        CountryRule(
            rule_set=copy,
            country_id=rule.country_id,
            price_ceiling=rule.price_ceiling,
            delivery_days=rule.delivery_days,
            min_monthly_wage=rule.min_monthly_wage,
        )
        for rule in source.country_rules.all()
    )
    audit_record(
        action="policy.rule_set_copied",
        actor=actor,
        target=copy,
        changes={"copied_from": [str(source), str(copy)]},
    )
    return copy


def _fields_of(record: models.Model) -> dict:
    return model_to_dict(record, fields=[field.name for field in record._meta.concrete_fields])


@transaction.atomic
def policy_record_save(*, record: models.Model, actor: Actor | None) -> models.Model:
    """Save a rule set, tier, country rule, country or occupation after its checks, leaving a trail.

    The model's clean() refuses edits that would change a rule set already in force.
    """
    label = record._meta.model_name
    before = {}
    if record.pk is not None:
        stored = type(record).objects.filter(pk=record.pk).first()
        before = _fields_of(stored) if stored is not None else {}
    _require_policy_permission(actor, f"{'change' if before else 'add'}_{label}")
    record.full_clean()
    record.save()
    audit_record(
        action=f"policy.{label}_{'changed' if before else 'added'}",
        actor=actor,
        target=record,
        changes=model_changes(before, _fields_of(record)),
    )
    return record


@transaction.atomic
def policy_record_delete(*, record: models.Model, actor: Actor | None) -> None:
    """Delete reference data or a rule set that has not started; rules already applied stay."""
    label = record._meta.model_name
    _require_policy_permission(actor, f"delete_{label}")
    rule_set = record if isinstance(record, RuleSet) else getattr(record, "rule_set", None)
    stored = rule_set.stored_version() if rule_set is not None else None
    if stored is not None and stored.has_started():
        raise PermissionDenied(
            _("The rule set %(name)s is already in force: it cannot be deleted or changed.")
            % {"name": stored}
        )
    removed = {name: [old, new] for name, (new, old) in model_changes({}, _fields_of(record)).items()}
    audit_record(action=f"policy.{label}_deleted", actor=actor, target=record, changes=removed)
    record.delete()
