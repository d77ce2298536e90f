"""Read-mostly admin: households change their own files on the site, so the admin looks and nudges."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import EmployedWorker, Household, HouseholdMember, IdentityStatus, IncomeProof, PhoneVerification


class ReadOnlyMixin:
    def get_readonly_fields(self, request, obj=None):
        return self.fields or [field.name for field in self.model._meta.concrete_fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MemberInline(ReadOnlyMixin, admin.TabularInline):
    model = HouseholdMember
    fields = ["name", "relation", "date_of_birth", "national_id", "has_special_needs"]
    extra = 0


class ProofInline(ReadOnlyMixin, admin.TabularInline):
    model = IncomeProof
    fields = [
        "kind",
        "issued_on",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "uploaded_by",
    ]
    extra = 0


class WorkerInline(ReadOnlyMixin, admin.TabularInline):
    model = EmployedWorker
    fields = ["name", "nationality", "occupation", "employed_since", "ended_on"]
    extra = 0


class PhoneVerificationInline(ReadOnlyMixin, admin.TabularInline):
    model = PhoneVerification
    fields = ["mobile", "created_at", "expires_at", "attempts", "verified_at"]  # never the code's hash
    extra = 0


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = [
        "national_id",
        "name_ar",
        "name_en",
        "residency",
        "identity_status",
        "mobile_verified_at",
        "created_at",
    ]
    list_filter = ["identity_status", "residency", "marital_status", "has_registered_disability"]
    search_fields = ["=national_id", "name_ar", "name_en", "user__email", "=mobile"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    inlines = [MemberInline, ProofInline, WorkerInline, PhoneVerificationInline]
    actions = ["recheck_identity"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Household._meta.concrete_fields]

    @admin.action(description=_("Ask the identity service again (pending households)"))
    def recheck_identity(self, request, queryset):
        pending = 0
        for household in queryset:
            services.identity_check_request(actor=request.actor, household=household)
            pending += household.identity_status == IdentityStatus.PENDING
        self.message_user(
            request,
            ngettext(
                "%(count)d household will be checked again.",
                "%(count)d households will be checked again.",
                pending,
            )
            % {"count": pending},
            messages.SUCCESS,
        )


@admin.register(IncomeProof)
class IncomeProofAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["household", "kind", "issued_on", "content_type", "size", "uploaded_at"]
    list_filter = ["kind", "content_type"]
    search_fields = ["=household__national_id", "sha256"]
    list_select_related = ["household"]


@admin.register(EmployedWorker)
class EmployedWorkerAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "household", "nationality", "occupation", "employed_since", "ended_on"]
    list_filter = ["nationality", "occupation"]
    search_fields = ["name", "passport_number", "iqama_number", "=household__national_id"]
    list_select_related = ["household", "nationality", "occupation"]
