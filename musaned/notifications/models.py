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
    urgent = models.BooleanField(
        _("urgent"),
        default=False,
        help_text=_("Security codes and alerts: never held back by the hourly limit."),
    )
    held_until = models.DateTimeField(
        _("held by the hourly limit until"),
        null=True,
        blank=True,
        help_text=_("Sent as soon as the hour allows."),
    )

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["channel", "to", "sent_at"]), models.Index(fields=["held_until"])]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}"


class NotificationTemplate(models.Model):
    """What an event says in one language. The platform ships a text for each; an admin's edit replaces it
    until restored, and shipping a corrected text updates only the ones nobody edited."""

    event = models.CharField(_("event"), max_length=40)
    language = models.CharField(_("language code"), max_length=8)
    subject = models.CharField(_("subject (title and e-mail subject)"), max_length=200, blank=True)
    body = models.TextField(_("text (inbox and e-mail)"), blank=True)
    sms = models.TextField(_("text message"), blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("edited by"),
    )
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification text")
        verbose_name_plural = _("notification texts")
        ordering = ["event", "language"]
        constraints = [
            models.UniqueConstraint(fields=["event", "language"], name="one_text_per_event_language")
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.language})"


class NotificationPreference(models.Model):
    """Whether a person wants e-mails and text messages about one topic; the inbox always has everything."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    topic = models.CharField(_("topic"), max_length=20)
    email = models.BooleanField(_("by e-mail"), default=True)
    sms = models.BooleanField(_("by text message"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="one_preference_per_topic")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.topic}"
