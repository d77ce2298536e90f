from django.db import models
from django.utils.translation import gettext_lazy as _


class FakeOutbox(models.Model):
    """What the fake SMS and e-mail gateways 'sent' (demo and tests only; production has none)."""

    channel = models.CharField(_("channel"), max_length=10)
    to = models.CharField(_("to"), max_length=254, db_index=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    provider_id = models.CharField(max_length=64)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fake outbox message")
        verbose_name_plural = _("fake outbox (demo)")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}"
