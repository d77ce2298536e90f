"""The ministry registers offices and their first managers here; every save goes through the services."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from musaned.accounts.actor import Actor

from .models import Office, OfficeMembership, OfficeRole
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


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_ar", "cr_number", "city", "licence_valid_until", "active"]
    list_filter = ["active", "city"]
    search_fields = ["name_en", "name_ar", "cr_number", "licence_number"]
    inlines = [MembershipInline]

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
