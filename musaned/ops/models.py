from django.db import models
from django.utils.translation import gettext_lazy as _


class Probe(models.Model):
    """One run of the probe task: proof that workers take tasks from the queue and finish them.

    `attempts` counts the times a worker started it (more than one: the message was delivered again
    after a worker died); `completed_at` is set once, however many times it ran.
    """

    token = models.CharField(_("token"), max_length=64, unique=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    worker_pid = models.PositiveIntegerField(_("process of the last attempt"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("worker probe")
        verbose_name_plural = _("worker probes")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return self.token
