from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "musaned.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        # Connects the Celery receivers that carry the correlation id from publisher to worker.
        from . import signals  # noqa: F401
