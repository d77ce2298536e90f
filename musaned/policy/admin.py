"""Admins keep the rules and reference data here; every save goes through the policy services."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from musaned.accounts.actor import Actor
from musaned.forms import DualCalendarDateField

from .models import Country, CountryRule, EligibilityTier, Occupation, RuleSet
from .services import policy_record_delete, policy_record_save, rule_set_copy


def _actor(request) -> Actor:
    return getattr(request, "actor", None) or Actor.direct(request.user)


class ThroughServicesAdmin(admin.ModelAdmin):
    """Saves and deletes run the same checks and leave the same audit trail as any other write."""

    def save_model(self, request, obj, form, change):
        policy_record_save(record=obj, actor=_actor(request))

    def delete_model(self, request, obj):
        policy_record_delete(record=obj, actor=_actor(request))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            policy_record_delete(record=obj, actor=_actor(request))

    def save_formset(self, request, form, formset, change):
        actor = _actor(request)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            policy_record_delete(record=obj, actor=actor)
        for obj in instances:
            policy_record_save(record=obj, actor=actor)
        formset.save_m2m()


@admin.register(Country)
class CountryAdmin(ThroughServicesAdmin):
    list_display = ["name_en", "name_ar", "code", "worker_language", "active"]
    list_filter = ["active", "worker_language"]
    search_fields = ["name_en", "name_ar", "code"]


@admin.register(Occupation)
class OccupationAdmin(ThroughServicesAdmin):
    list_display = ["name_en", "name_ar", "code", "requires_medical_report", "added_in", "active"]
    list_filter = ["active", "requires_medical_report", "added_in"]
    search_fields = ["name_en", "name_ar", "code"]


class FrozenOnceStartedInline(admin.TabularInline):
    """Tiers and country rules of a rule set in force are shown, never changed."""

    extra = 0

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.has_started()

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class EligibilityTierInline(FrozenOnceStartedInline):
    model = EligibilityTier
    fields = ["residency", "ordinal", "min_monthly_salary", "min_balance"]


class CountryRuleInline(FrozenOnceStartedInline):
    model = CountryRule
    fields = ["country", "price_ceiling", "delivery_days", "min_monthly_wage"]
    autocomplete_fields = ["country"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("country")


class RuleSetCopyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the new rule set"), max_length=120)
    effective_from = DualCalendarDateField(label=gettext_lazy("In force from"))


@admin.register(RuleSet)
class RuleSetAdmin(ThroughServicesAdmin):
    list_display = ["name", "effective_from", "status"]
    ordering = ["-effective_from"]
    inlines = [EligibilityTierInline, CountryRuleInline]
    actions = ["copy_selected"]
    fieldsets = [
        (None, {"fields": ["name", "effective_from", "notes"]}),
        (
            gettext_lazy("Eligibility"),
            {"fields": ["min_applicant_age", "income_proof_max_age_days", "resident_may_recruit_compatriot"]},
        ),
        (
            gettext_lazy("Fees"),
            {"fields": ["visa_fee", "eservice_fee", "vat_rate", "disability_fee_exempt"]},
        ),
        (
            gettext_lazy("Visas"),
            {
                "fields": [
                    "visa_validity_days",
                    "visa_decision_hours",
                    "visa_cancel_max_age_days",
                    "replacement_return_window_days",
                ]
            },
        ),
        (
            gettext_lazy("Recruitment deadlines"),
            {
                "fields": [
                    "office_answer_days_with_visa",
                    "office_answer_days_new_visa",
                    "worker_acceptance_days",
                    "delivery_days",
                    "delivery_extension_days",
                    "handover_hours",
                    "guarantee_days",
                    "complaint_response_days",
                    "deadline_alert_days",
                ]
            },
        ),
        (
            gettext_lazy("Penalties"),
            {
                "fields": [
                    "delay_penalty_per_day",
                    "delay_penalty_cap_percent",
                    "office_cancellation_penalty_percent",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        next_start = RuleSet.objects.filter(effective_from__gt=OuterRef("effective_from")).order_by(
            "effective_from"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(next_start=Subquery(next_start.values("effective_from")[:1]))
        )

    @admin.display(description=gettext_lazy("status"))
    def status(self, obj: RuleSet) -> str:
        today = timezone.localdate()
        if obj.effective_from > today:
            return _("Scheduled")
        if obj.next_start is None or obj.next_start > today:
            return _("In force")
        return _("Replaced")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.has_started():
            return RuleSet.figure_fields()
        return []

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.has_started()) and super().has_delete_permission(request, obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/copy/",
                self.admin_site.admin_view(self.copy_view),
                name="policy_ruleset_copy",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=gettext_lazy("Copy to a new date"), permissions=["add"])
    def copy_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one rule set to copy."), messages.WARNING)
            return None
        return redirect("admin:policy_ruleset_copy", queryset.get().pk)

    def copy_view(self, request, object_id):
        if not self.has_add_permission(request):
            raise PermissionDenied
        source = get_object_or_404(RuleSet.objects.prefetch_related("tiers", "country_rules"), pk=object_id)
        tomorrow = timezone.localdate() + timedelta(days=1)
        form = RuleSetCopyForm(request.POST or None, initial={"effective_from": tomorrow})
        if request.method == "POST" and form.is_valid():
            try:
                copy = rule_set_copy(
                    source=source,
                    effective_from=form.cleaned_data["effective_from"],
                    name=form.cleaned_data["name"],
                    actor=_actor(request),
                )
            except ValidationError as error:
                problems = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
                for field, errors in problems.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                self.message_user(
                    request,
                    _("The new rule set %(name)s was created: change its figures before it starts.")
                    % {"name": copy},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:policy_ruleset_change", args=[copy.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Copy %(name)s to a new date") % {"name": source},
            "opts": self.opts,
            "original": source,
            "form": form,
        }
        return TemplateResponse(request, "admin/policy/ruleset/copy.html", context)
