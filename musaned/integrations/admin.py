from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import resilience
from .models import (
    DeadLetter,
    DeadLetterState,
    DeadlinePause,
    FakeBill,
    FakeOutbox,
    GatewayCall,
    GatewayCircuit,
)


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


@admin.register(GatewayCircuit)
class GatewayCircuitAdmin(ReadOnlyAdmin):
    list_display = ["gateway", "state", "failures", "failing_since", "retry_at", "opened_at", "last_error"]
    list_filter = ["state"]


@admin.register(DeadlinePause)
class DeadlinePauseAdmin(ReadOnlyAdmin):
    list_display = ["gateway", "started_at", "ended_at"]
    list_filter = ["gateway"]
    date_hierarchy = "started_at"


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    """Tasks that gave up: read their error, then send them again or discard them (actions only)."""

    list_display = ["last_failed_at", "task_name", "exception_type", "attempts", "state", "resolved_by"]
    list_filter = ["state", "task_name"]
    search_fields = ["task_name", "task_id", "exception_text", "request_id"]
    date_hierarchy = "last_failed_at"
    actions = ["retry", "discard"]
    fields = [
        "task_name",
        "task_id",
        "request_id",
        "args",
        "kwargs",
        "exception_type",
        "exception_text",
        "traceback",
        "attempts",
        "first_failed_at",
        "last_failed_at",
        "state",
        "resolved_at",
        "resolved_by",
        "retry_task_id",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _handle(self, request, queryset, service, done_message):
        done = 0
        for letter in queryset.filter(state=DeadLetterState.OPEN).order_by("pk"):
            try:
                service(actor=request.actor, dead_letter=letter)
            except (PermissionDenied, ValidationError) as exc:
                reason = " ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(request, f"{letter}: {reason}", messages.ERROR)
                continue
            if DeadLetter.objects.filter(pk=letter.pk, state=DeadLetterState.OPEN).exists():
                self.message_user(
                    request,
                    _("%(task)s: the queue did not take it; try again later.") % {"task": letter},
                    messages.ERROR,
                )
            else:
                done += 1
        skipped = queryset.exclude(state=DeadLetterState.OPEN).count()
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d task was already handled and was left as it is.",
                    "%(count)d tasks were already handled and were left as they are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Send the selected tasks again"), permissions=["change"])
    def retry(self, request, queryset):
        self._handle(
            request,
            queryset,
            resilience.dead_letter_retry,
            lambda count: (
                ngettext("%(count)d task was sent again.", "%(count)d tasks were sent again.", count)
                % {"count": count}
            ),
        )

    @admin.action(description=_("Discard the selected tasks"), permissions=["change"])
    def discard(self, request, queryset):
        self._handle(
            request,
            queryset,
            resilience.dead_letter_discard,
            lambda count: (
                ngettext("%(count)d task was discarded.", "%(count)d tasks were discarded.", count)
                % {"count": count}
            ),
        )


@admin.register(FakeOutbox)
class FakeOutboxAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "channel", "to", "subject"]
    list_filter = ["channel"]
    search_fields = ["to", "subject", "body"]


@admin.register(FakeBill)
class FakeBillAdmin(ReadOnlyAdmin):
    list_display = ["bill_number", "reference", "amount", "currency", "due", "paid_at", "refunded"]
    search_fields = ["bill_number", "reference", "payment_ref"]
