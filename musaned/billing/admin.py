"""Bills, payment notices and refunds, shown read-only: money changes only through billing's services."""

from django.contrib import admin

from musaned.integrations.admin import ReadOnlyAdmin

from .models import Bill, PaymentNotice, Refund


class NoticeInline(admin.TabularInline):
    model = PaymentNotice
    fields = ["received_at", "source", "payment_ref", "outcome", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class RefundInline(admin.TabularInline):
    model = Refund
    fields = ["requested_at", "amount", "reason", "state", "gateway_ref", "completed_at", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "purpose",
        "payer",
        "amount",
        "state",
        "issued_at",
        "due_at",
        "paid_at",
        "refunded_amount",
    ]
    list_filter = ["state", "purpose"]
    search_fields = ["number", "payment_ref", "gateway_reference", "payer__email"]
    list_select_related = ["payer"]
    date_hierarchy = "issued_at"
    inlines = [NoticeInline, RefundInline]


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "source", "bill_number", "payment_ref", "outcome", "reason"]
    list_filter = ["outcome", "source"]
    search_fields = ["bill_number", "payment_ref"]
    date_hierarchy = "received_at"


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = [
        "requested_at",
        "bill",
        "amount",
        "state",
        "attempts",
        "gateway_ref",
        "completed_at",
        "last_error",
    ]
    list_filter = ["state", "unaccepted_payment"]
    search_fields = ["bill__number", "payment_ref", "gateway_ref", "idempotency_key"]
    list_select_related = ["bill"]
    date_hierarchy = "requested_at"
