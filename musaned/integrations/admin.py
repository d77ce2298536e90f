from django.contrib import admin

from .models import FakeBill, FakeOutbox, GatewayCall


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record of what happened: looked at, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GatewayCall)
class GatewayCallAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "gateway", "operation", "outcome", "duration_ms", "error"]
    list_filter = ["gateway", "outcome"]
    search_fields = ["operation", "error"]
    date_hierarchy = "started_at"


@admin.register(FakeOutbox)
class FakeOutboxAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "channel", "to", "subject"]
    list_filter = ["channel"]
    search_fields = ["to", "subject", "body"]


@admin.register(FakeBill)
class FakeBillAdmin(ReadOnlyAdmin):
    list_display = ["bill_number", "reference", "amount", "currency", "due", "paid_at", "refunded"]
    search_fields = ["bill_number", "reference", "payment_ref"]
