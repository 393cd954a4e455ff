from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# Model permissions per role for this app (the role Groups themselves belong to plans/roles.py).
EVALUATION_MODELS = ("evaluationround", "measureevaluation", "evaluationindicator")
VIEW_ROLES = ("admin", "staff", "council", "viewer")


def grant_view_permissions(sender, using="default", **kwargs) -> None:
    """Let every role read the evaluation models in the admin (writes go through the portal's services).
    Runs after plans' role sync on every migrate, so the grant survives it; idempotent."""
    from django.contrib.auth.models import Group, Permission

    perms = list(
        Permission.objects.using(using).filter(
            content_type__app_label="evaluations", codename__in=[f"view_{m}" for m in EVALUATION_MODELS]
        )
    )
    if not perms:
        return
    for group in Group.objects.using(using).filter(name__in=VIEW_ROLES):
        group.permissions.add(*perms)


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("年度評価")

    def ready(self) -> None:
        post_migrate.connect(grant_view_permissions, dispatch_uid="evaluations.grant_view_permissions")
        from milestones.reminders.sections import register_digest_section

        from .reminders import SECTION

        register_digest_section(SECTION)  # 「年度評価の提出をお願いします」 in the departments' reminder digests
