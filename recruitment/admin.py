"""The ministry registers offices and their first managers here; every save goes through the services.

Price lists, CVs and sanctions are read here only: offices keep their own in the office area, and the
licensing team sanctions on its own screens, where the rules are checked.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from musaned.accounts.actor import Actor

from .contracts import contract_template_errors, contract_template_save
from .models import (
    ContractTemplate,
    Office,
    OfficeDigest,
    OfficeMembership,
    OfficeRole,
    PriceListEntry,
    Sanction,
    WorkerCV,
)
from .offices_tasks import office_check_commercial_registration
from .services import office_member_invite, office_save


def _actor(request) -> Actor:
    return getattr(request, "actor", None) or Actor.direct(request.user)


class MembershipInline(admin.TabularInline):
    model = OfficeMembership
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyMixin:
    """Shown for reference; changes go through the pages where the services check them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SanctionInline(ReadOnlyMixin, admin.TabularInline):
    model = Sanction
    fields = ["kind", "starts_on", "ends_on", "lifted_at", "reason", "complaint", "decided_by"]
    readonly_fields = fields
    extra = 0


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = [
        "name_en",
        "name_ar",
        "cr_number",
        "city",
        "licence_valid_until",
        "cr_valid_until",
        "active",
    ]
    list_filter = ["active", "city"]
    search_fields = ["name_en", "name_ar", "cr_number", "licence_number"]
    readonly_fields = ["cr_valid_until", "cr_checked_at"]
    inlines = [MembershipInline, SanctionInline]
    actions = ["check_registration"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else [MembershipInline]

    @admin.action(description=_("Ask the commerce registry about the commercial registration"))
    def check_registration(self, request, queryset):
        for office_id in queryset.values_list("pk", flat=True):
            office_check_commercial_registration.delay(office_id=office_id)
        self.message_user(
            request, _("The registry is asked; the answers show as they arrive."), messages.SUCCESS
        )

    def save_model(self, request, obj, form, change):
        office_save(actor=_actor(request), office=obj)

    def has_delete_permission(self, request, obj=None):
        return False  # an office's history stays; deactivate it instead


class InviteForm(forms.ModelForm):
    """Who to invite: the account is created by the service, with a link to choose a password."""

    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)

    class Meta:
        model = OfficeMembership
        fields = ["office", "role"]


@admin.register(OfficeMembership)
class OfficeMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "office", "role", "created_at"]
    list_filter = ["role", "office"]
    search_fields = ["user__email", "office__name_en", "office__name_ar"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = InviteForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["office", "role", "email", "first_name", "last_name"]
        return ["user", "office", "role"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "office", "role"]

    def save_model(self, request, obj, form, change):
        membership = office_member_invite(
            actor=_actor(request),
            office=form.cleaned_data["office"],
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            role=form.cleaned_data.get("role") or OfficeRole.STAFF,
        )
        obj.pk, obj.user, obj.created_at = membership.pk, membership.user, membership.created_at

    def has_delete_permission(self, request, obj=None):
        return False  # the office's manager removes staff in the office area, which also signs them out


@admin.register(PriceListEntry)
class PriceListEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["office", "nationality", "occupation", "price", "delivery_days", "updated_at"]
    list_filter = ["nationality", "occupation"]
    search_fields = ["office__name_en", "office__name_ar"]
    list_select_related = ["office", "nationality", "occupation"]


@admin.register(WorkerCV)
class WorkerCVAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "office",
        "nationality",
        "occupation",
        "passport_expiry",
        "available",
        "created_at",
    ]
    list_filter = ["available", "nationality", "occupation", "gender"]
    search_fields = ["name", "passport_number", "office__name_en", "office__name_ar"]
    list_select_related = ["office", "nationality", "occupation"]
    exclude = ["photo"]


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["office", "kind", "starts_on", "ends_on", "lifted_at", "decided_by"]
    list_filter = ["kind"]
    search_fields = ["office__name_en", "office__name_ar", "reason"]
    list_select_related = ["office", "decided_by"]


class ContractTemplateForm(forms.ModelForm):
    """The ministry's text in a worker's language, checked as the contract will render it."""

    class Meta:
        model = ContractTemplate
        fields = ["language", "language_name", "direction", "active", "body", "labels"]

    def clean(self):
        data = super().clean()
        for field, errors in contract_template_errors(
            body=data.get("body", ""), labels=data.get("labels") or {}
        ).items():
            self.add_error(field, errors)
        return data


@admin.register(ContractTemplate)
class ContractTemplateAdmin(admin.ModelAdmin):
    """Worker languages of the unified contract (placeholders and keys: recruitment/contracts.py)."""

    form = ContractTemplateForm
    list_display = ["language_name", "language", "direction", "active", "updated_at"]
    list_filter = ["active"]

    def save_model(self, request, obj, form, change):
        contract_template_save(actor=_actor(request), template=obj)

    def has_delete_permission(self, request, obj=None):
        return False  # printed contracts name their language; switch it off instead


@admin.register(OfficeDigest)
class OfficeDigestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The morning digests sent to offices, with what each said; written only by the daily task."""

    list_display = ["day", "office", "sent_at"]
    list_filter = ["day"]
    date_hierarchy = "day"
    search_fields = ["office__name_en", "office__name_ar", "office__cr_number"]
    list_select_related = ["office"]
    fields = ["office", "day", "sent_at", "summary"]
    readonly_fields = fields
