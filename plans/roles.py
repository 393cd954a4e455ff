"""Roles are auth Groups; this module names them and knows which model permissions each one gets."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    ADMIN = "admin", _("管理者（DX推進本部事務局）")
    STAFF = "staff", _("職員")
    COUNCIL = "council", _("議員")
    VIEWER = "viewer", _("閲覧者")


# Model permissions per role (app_label.codename). Object-level rules (which department) are in
# plans.permissions; these only open the doors the role may walk through at all.
_ALL_MODELS = {
    "plans": [
        "municipality",
        "department",
        "plan",
        "pillar",
        "membership",
        "importrun",
        "auditevent",
        "frameworkedition",
        "nationalitem",
        "itemcrosswalk",
    ],
    "measures": ["measure", "indicator", "indicatorvalue", "progressupdate"],
    "milestones": ["milestone", "reminderlog", "duedatechangerequest"],
}


def _perms(actions: tuple[str, ...], models: dict[str, list[str]]) -> list[str]:
    return [f"{app}.{action}_{model}" for app, names in models.items() for model in names for action in actions]


ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: _perms(("view", "add", "change", "delete"), _ALL_MODELS) + ["jobs.view_job", "jobs.delete_job"],
    Role.STAFF: _perms(("view",), _ALL_MODELS)
    + ["milestones.change_milestone", "measures.add_progressupdate", "measures.add_indicatorvalue"],
    Role.COUNCIL: _perms(
        ("view",),
        {
            k: [m for m in v if m not in ("membership", "auditevent", "importrun", "reminderlog")]
            for k, v in _ALL_MODELS.items()
        },
    ),
    Role.VIEWER: _perms(
        ("view",),
        {
            k: [m for m in v if m not in ("membership", "auditevent", "importrun", "reminderlog")]
            for k, v in _ALL_MODELS.items()
        },
    ),
}
