from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AffairsDisclosureConfig(AppConfig):
    name = "affairs_disclosure"
    verbose_name = _("居务公开")

    def ready(self):
        from affairs_disclosure.public_cache import connect_signals

        connect_signals()
