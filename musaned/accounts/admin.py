"""The trail and the delegations, for reading; accounts change through the platform's own pages."""

from django.contrib import admin

from .models import AuditEvent, Delegation, User


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor", "on_behalf_of", "target_type", "target_id", "ip_address"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "actor__email", "on_behalf_of__email", "target_id", "ip_address"]
    list_select_related = ["actor", "on_behalf_of", "target_type"]
    date_hierarchy = "created_at"


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ["principal", "delegate", "scope", "valid_until", "revoked_at", "created_at"]
    list_filter = ["scope"]
    search_fields = ["principal__email", "delegate__email"]
    list_select_related = ["principal", "delegate"]


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ["email", "first_name", "last_name", "is_active", "locked_at", "last_login"]
    list_filter = ["is_active", "is_superuser", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    exclude = ["password"]
