from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportingConfig(AppConfig):
    name = "importing"
    verbose_name = _("Excel取込・出力")

    def ready(self) -> None:
        from .jobs import register_jobs

        register_jobs()
