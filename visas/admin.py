"""Visas in the admin are for looking only: every change goes through the visa services."""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from musaned.dates import format_both

from .models import ReviewFinding, Visa
from .selectors import visa_timeline


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReviewFindingInline(admin.TabularInline):
    model = ReviewFinding
    fields = ["rule", "verdict", "params", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Visa)
class VisaAdmin(ReadOnlyAdmin):
    list_display = ["reference", "number", "household", "kind", "state", "submitted_at", "valid_until"]
    list_filter = ["state", "kind"]
    search_fields = ["reference", "number", "household__national_id"]
    list_select_related = ["household"]
    date_hierarchy = "submitted_at"
    inlines = [ReviewFindingInline]
    readonly_fields = ["timeline"]
    fieldsets = [
        (None, {"fields": ["reference", "number", "kind", "replaces", "state", "household", "applied_by"]}),
        (
            _("What was applied for"),
            {"fields": ["occupation", "nationality", "gender", "arrival_city", "stated_income"]},
        ),
        (_("Fee"), {"fields": ["rule_set", "fee_amount", "fee_formula", "bill"]}),
        (
            _("Review and life of the visa"),
            {
                "fields": [
                    "submitted_at",
                    "review_started_at",
                    "decision_due_at",
                    "decided_at",
                    "decided_by",
                    "rejection_reason",
                    "decision_note",
                    "issued_at",
                    "valid_until",
                    "activated_at",
                    "activation_ref",
                    "used_at",
                    "closed_at",
                ]
            },
        ),
        (_("Timeline"), {"fields": ["timeline"]}),
    ]

    @admin.display(description=_("timeline"))
    def timeline(self, visa: Visa):
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li><strong>{}</strong> · {} · {} {}</li>",
                (
                    (
                        step.label,
                        _moment(step.at) if step.at else _("to do"),
                        step.by or step.who_acts_next,
                        _("(deadline %(when)s)") % {"when": _moment(step.deadline)} if step.deadline else "",
                    )
                    for step in visa_timeline(visa=visa)
                ),
            ),
        )


def _moment(value) -> str:
    local = timezone.localtime(value)
    return f"{format_both(local)} {local:%H:%M}"


@admin.register(ReviewFinding)
class ReviewFindingAdmin(ReadOnlyAdmin):
    list_display = ["visa", "rule", "verdict", "created_at"]
    list_filter = ["verdict", "rule"]
    search_fields = ["visa__reference", "visa__number", "visa__household__national_id"]
    list_select_related = ["visa"]
    fields = ["visa", "rule", "verdict", "params", "created_at"]
    readonly_fields = fields
