"""The feed's runs, what they set aside, the events waiting to be announced, and the workers' records:
looked at, never edited."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from musaned.integrations.admin import ReadOnlyAdmin

from .models import FeedEvent, FeedRejectedRow, FeedRun, WorkerRecord


@admin.register(FeedRun)
class FeedRunAdmin(ReadOnlyAdmin):
    list_display = [
        "run_date",
        "state",
        "started_at",
        "duration_shown",
        "attempts",
        "read",
        "added",
        "changed",
        "unchanged",
        "set_aside",
        "events",
    ]
    list_filter = ["state"]
    date_hierarchy = "run_date"
    fields = [
        "run_date",
        "state",
        "started_at",
        "finished_at",
        "duration_shown",
        "attempts",
        "lines_done",
        "read",
        "added",
        "changed",
        "unchanged",
        "set_aside",
        "events",
        "last_error",
    ]
    readonly_fields = fields

    @admin.display(description=_("duration"))
    def duration_shown(self, run: FeedRun) -> str:
        seconds = int(run.duration.total_seconds())
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    @admin.display(description=_("set aside"), ordering="malformed")
    def set_aside(self, run: FeedRun) -> str:
        if not run.malformed:
            return "0"
        url = reverse("admin:registry_feedrejectedrow_changelist") + f"?run__id__exact={run.pk}"
        return format_html('<a href="{}">{}</a>', url, run.malformed)


@admin.register(FeedRejectedRow)
class FeedRejectedRowAdmin(ReadOnlyAdmin):
    list_display = ["line_number", "run", "reason", "raw"]
    list_filter = ["reason", "run__run_date"]
    list_select_related = ["run"]
    search_fields = ["raw"]


@admin.register(FeedEvent)
class FeedEventAdmin(ReadOnlyAdmin):
    """Normally empty: a row stays here only between a batch's commit and its announcement, or until
    the scheduled announcer sends what a stopped process left."""

    list_display = [
        "created_at",
        "run",
        "passport_number",
        "previous_status",
        "status",
        "status_date",
        "claimed_until",
    ]
    list_filter = ["status"]
    list_select_related = ["run"]
    search_fields = ["=passport_number"]


@admin.register(WorkerRecord)
class WorkerRecordAdmin(ReadOnlyAdmin):
    list_display = ["passport_number", "iqama_number", "status", "status_date", "updated_at", "last_run"]
    list_select_related = ["last_run"]
    search_fields = ["=passport_number", "=iqama_number"]  # exact: millions of rows, served by the indexes
    show_full_result_count = False
