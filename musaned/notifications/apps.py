from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_texts(sender, **kwargs) -> None:
    from .services import notification_texts_sync

    notification_texts_sync()


class NotificationsConfig(AppConfig):
    name = "musaned.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        post_migrate.connect(_sync_texts, sender=self, dispatch_uid="notifications.sync_texts")
