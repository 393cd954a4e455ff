from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# Model permissions of the council app per role (plans.roles gives the other apps' ones).
ROLE_PERMISSIONS = {
    "admin": [f"{a}_{m}" for a in ("view", "add", "change", "delete") for m in ("councilsession", "commitment")],
    "staff": ["view_councilsession", "view_commitment"],
    "council": ["view_councilsession", "view_commitment"],
    "viewer": ["view_councilsession", "view_commitment"],
}


def add_council_permissions(sender, using="default", **kwargs) -> None:
    """Give the role Groups the council models' permissions. Connected after plans' sync_role_groups (which
    resets each group's permissions), so it adds to what that set; idempotent."""
    from django.contrib.auth.models import Group, Permission

    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.using(using).filter(name=role).first()
        if group is None:
            continue
        group.permissions.add(
            *Permission.objects.using(using).filter(content_type__app_label="council", codename__in=codenames)
        )


class CouncilConfig(AppConfig):
    name = "council"
    verbose_name = _("議会・答弁")

    def ready(self) -> None:
        post_migrate.connect(add_council_permissions, dispatch_uid="council.add_council_permissions")
        from milestones.reminders.sections import register_digest_section

        from .reminders import CommitmentReminders

        register_digest_section(CommitmentReminders())
