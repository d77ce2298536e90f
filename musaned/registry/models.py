"""The national record of domestic workers' travel status, kept by the passports service's nightly feed."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musaned.integrations.interfaces import TravelStatus


class FeedState(models.TextChoices):
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed (will resume)")


class FeedRun(models.Model):
    """One night's reading of the feed, with what it found.

    Every line read is counted once: read = added + changed + unchanged + malformed. `lines_done` is
    how far the committed batches reached: a run that failed resumes from there.
    """

    run_date = models.DateField(_("feed of"), db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=FeedState.choices, default=FeedState.RUNNING)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    lines_done = models.PositiveBigIntegerField(_("lines done"), default=0)
    read = models.PositiveBigIntegerField(_("records read"), default=0)
    added = models.PositiveBigIntegerField(_("new workers"), default=0)
    changed = models.PositiveBigIntegerField(_("changed"), default=0)
    unchanged = models.PositiveBigIntegerField(_("unchanged"), default=0)
    malformed = models.PositiveBigIntegerField(_("set aside"), default=0)
    events = models.PositiveBigIntegerField(_("events announced"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("passports feed run")
        verbose_name_plural = _("passports feed runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            # Two readers of the same night would each announce its changes.
            models.UniqueConstraint(
                fields=["run_date"], condition=Q(state="running"), name="registry_one_running_feed_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_date} ({self.get_state_display()})"

    @property
    def duration(self):
        return (self.finished_at or timezone.now()) - self.started_at


class FeedEvent(models.Model):
    """A change of status a batch wrote, waiting to be announced: the feed's outbox.

    Written in the same transaction as the batch's records, so a committed change always has its
    announcement waiting; deleted once its signal has been sent. `claimed_until` is set while an
    announcer is sending it: past that moment, an announcer that stopped half-way is taken to be gone and
    the event is sent again.
    """

    run = models.ForeignKey(
        FeedRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="pending_events"
    )
    passport_number = models.CharField(_("passport number"), max_length=20)
    iqama_number = models.CharField(_("iqama number"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=TravelStatus.choices)
    status_date = models.DateField(_("status since"), null=True, blank=True)
    previous_status = models.CharField(
        _("previous status"), max_length=12, choices=TravelStatus.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    claimed_until = models.DateTimeField(_("being announced until"), null=True, blank=True)

    class Meta:
        verbose_name = _("feed event waiting to be announced")
        verbose_name_plural = _("feed events waiting to be announced")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.passport_number}: {self.status}"


class WorkerRecord(models.Model):
    """A worker as the passports service last reported her; `last_run` is the run that last changed her.

    Millions of rows, a few percent rewritten each night: the only indexes are those lookups need
    (no pattern-matching twins, none on the columns the feed rewrites), so that PostgreSQL can update a
    changed row in place (a HOT update) without touching any index.
    """

    passport_number = models.CharField(_("passport number"), max_length=20)
    iqama_number = models.CharField(_("iqama number"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=TravelStatus.choices)
    status_date = models.DateField(_("status since"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    last_run = models.ForeignKey(
        FeedRun,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("worker's travel record")
        verbose_name_plural = _("workers' travel records")
        constraints = [
            models.UniqueConstraint(fields=["passport_number"], name="registry_one_record_per_passport")
        ]
        indexes = [models.Index(fields=["iqama_number"], name="registry_worker_iqama")]

    def __str__(self) -> str:
        return self.passport_number


class RejectReason(models.TextChoices):
    FIELD_COUNT = "field_count", _("Not four fields separated by commas")
    PASSPORT_NUMBER = "passport_number", _("Passport number not valid")
    IQAMA_NUMBER = "iqama_number", _("Iqama number not valid")
    STATUS = "status", _("Unknown status")
    DATE = "date", _("Status date not valid")
    DATE_MISSING = "date_missing", _("Status date missing")
    DATE_AHEAD = "date_ahead", _("Status date after the feed's date")
    REPEATED = "repeated", _("Passport number repeated in the feed")


class FeedRejectedRow(models.Model):
    """A line of the feed that could not be read; the rest of the feed went on without it."""

    RAW_MAX_LENGTH = 500

    run = models.ForeignKey(
        FeedRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="rejected_rows"
    )
    line_number = models.PositiveBigIntegerField(_("line"))
    raw = models.CharField(_("line as received"), max_length=RAW_MAX_LENGTH)
    reason = models.CharField(_("reason"), max_length=20, choices=RejectReason.choices)

    class Meta:
        verbose_name = _("set-aside feed line")
        verbose_name_plural = _("set-aside feed lines")
        ordering = ["run", "line_number"]

    def __str__(self) -> str:
        return _("Line %(number)s") % {"number": self.line_number}
