from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("ダッシュボード")

    def ready(self) -> None:
        from . import cache  # noqa: F401  (drops cached dashboard bodies when the data they show changes)
        from .jobs import register_jobs

        register_jobs()
