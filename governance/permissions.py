"""Who may read and manage governance records. The object rules of plans.permissions cover plans, measures
and milestones (an action is a milestone, so reporting on it follows those rules); this module adds the
governance objects: the 事務局 (admin) of the municipality manages them, everyone of the municipality reads
them, council members and viewers only their public parts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from plans.permissions import access_for

from .models import Action, AgendaItem, BodyMember, Decision, Meeting, PlanRevision


def municipality_id_of(obj: Any) -> int:
    if isinstance(obj, (BodyMember, Meeting, PlanRevision)):
        return obj.municipality_id
    if isinstance(obj, (AgendaItem, Decision)):
        return obj.meeting.municipality_id
    if isinstance(obj, Action):
        return obj.decision.meeting.municipality_id
    raise TypeError(f"No municipality rule for {type(obj).__name__}")


def may_read(user: User | AnonymousUser, municipality_id: int) -> bool:
    access = access_for(user)
    if access.is_superuser:
        return True
    return access.role is not None and access.municipality_id == municipality_id


def may_manage(user: User | AnonymousUser, municipality_id: int) -> bool:
    access = access_for(user)
    if access.is_superuser:
        return True
    return access.is_admin and access.municipality_id == municipality_id


def sees_internal(user: User | AnonymousUser) -> bool:
    """City-hall staff and the 事務局 read the internal parts (庁内限り); council members and viewers do not."""
    return not access_for(user).is_read_only
