from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = _("施策・指標")

    def ready(self) -> None:
        from . import rollup  # noqa: F401  (keeps MeasureRollup current on writes)
