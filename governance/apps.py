from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# Model permissions of the governance models per role (the object rules are in governance/permissions.py).
GOVERNANCE_MODELS = ("bodymember", "meeting", "agendaitem", "decision", "action", "planrevision")
READ_ONLY_ROLES = ("staff", "council", "viewer")


def grant_governance_permissions(sender, using="default", **kwargs) -> None:
    """Add this app's model permissions to the role Groups. plans' own receiver (connected first, so it runs
    first on every post_migrate) sets the groups' permissions from its list; this one adds ours after it."""
    from django.contrib.auth.models import Group, Permission

    perms = Permission.objects.using(using).filter(content_type__app_label="governance")
    for group in Group.objects.using(using).filter(name__in=("admin", *READ_ONLY_ROLES)):
        if group.name == "admin":
            wanted = perms.filter(
                codename__in=[f"{a}_{m}" for a in ("view", "add", "change", "delete") for m in GOVERNANCE_MODELS]
            )
        else:
            wanted = perms.filter(codename__in=[f"view_{m}" for m in GOVERNANCE_MODELS])
        group.permissions.add(*wanted)


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("推進体制・会議・計画改定")

    def ready(self) -> None:
        post_migrate.connect(grant_governance_permissions, dispatch_uid="governance.grant_permissions")
