from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MilestonesConfig(AppConfig):
    name = "milestones"
    verbose_name = _("マイルストーン・通知")

    def ready(self) -> None:
        # Register the Celery tasks in every process (web included): the reminder run queues its sends by task
        # name, and with CELERY_TASK_ALWAYS_EAGER a registered task runs inline instead of going to a broker.
        from . import tasks  # noqa: F401
        from .jobs import register_jobs

        register_jobs()
