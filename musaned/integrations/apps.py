from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "musaned.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        # Connects the receiver that keeps the dead letters of tasks that fail for good.
        from . import resilience  # noqa: F401
