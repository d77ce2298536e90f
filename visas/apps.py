from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisasConfig(AppConfig):
    name = "visas"
    verbose_name = _("Visas")
