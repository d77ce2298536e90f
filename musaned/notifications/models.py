from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message in the person's inbox on the platform, written in their language when it was sent."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    event = models.CharField(_("event"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["recipient", "read_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Could not be sent")


class Message(models.Model):
    """One SMS or e-mail on its way out, with every attempt's outcome."""

    ERROR_MAX_LENGTH = 300

    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("recipient"),
    )
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_id = models.CharField(_("provider's id"), max_length=64, blank=True)
    last_error = models.CharField(_("last error"), max_length=ERROR_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # While set and in the future, one worker is sending the message and no other may.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}"
