from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def sync_role_groups(sender, using="default", **kwargs) -> None:
    """Create the role Groups and give them their model permissions. Runs after every migrate (the
    permissions themselves are only created post-migrate), so it is idempotent."""
    from django.contrib.auth.models import Group, Permission

    from .roles import ROLE_PERMISSIONS

    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        wanted = Permission.objects.using(using).none()
        for app_label in {p.split(".")[0] for p in perms}:
            codenames = [p.split(".")[1] for p in perms if p.startswith(app_label + ".")]
            wanted |= Permission.objects.using(using).filter(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.set(wanted)


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("計画・組織")

    def ready(self) -> None:
        post_migrate.connect(sync_role_groups, dispatch_uid="plans.sync_role_groups")
        from .audit import connect_signals

        connect_signals()
