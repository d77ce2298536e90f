from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisasConfig(AppConfig):
    name = "visas"
    verbose_name = _("Visas")

    def ready(self) -> None:
        from households.eligibility import HELD_VISA_COUNTERS

        from . import flows, receivers  # noqa: F401  (the process model and billing's signals)
        from .selectors import held_visa_count

        if held_visa_count not in HELD_VISA_COUNTERS:
            HELD_VISA_COUNTERS.append(held_visa_count)
