from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("基础设置")

    def ready(self):
        # Register the compliance checks of every app (they live in <app>/checks.py).
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("checks")
