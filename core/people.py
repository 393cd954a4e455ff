"""How a person is named on pages and in messages ("updated by 情報政策課 職員 at …")."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext as _


def person_label(user: User | None) -> str:
    """Membership display name, else full name, else username; no user (deleted, or never known) is
    「（不明なユーザー）」."""
    if user is None:
        return _("（不明なユーザー）")
    membership = getattr(user, "membership", None) if hasattr(user, "membership") else None
    if membership is not None and membership.display_name:
        return membership.display_name
    return user.get_full_name() or user.username
