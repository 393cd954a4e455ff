"""The one place that answers "may this user see / change this object?".

Every view, form, API endpoint and admin page asks here; the objects say whom they belong to
(`owning_municipality_id()`, `owner_department_ids()` on each model). Rules (docs/roles-and-permissions.md):
- superusers: everything;
- admin (DX推進本部事務局): everything in their own municipality;
- staff: read their municipality; change measures, milestones, KPI values and progress of the
  departments they belong to (a milestone counts as theirs if its own owner department or its measure's
  owner department is one of theirs);
- council and viewer: read their municipality (viewers may compare others, see compare_scope); change nothing.
Nobody sees another municipality's plan data.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from .roles import Role

_CACHE_ATTR = "_dxportal_access"


class Access:
    """What one user is, computed once per request (cached on the user object)."""

    def __init__(self, user: User | AnonymousUser):
        self.user = user
        self.is_superuser = bool(user.is_authenticated and user.is_superuser)
        self.role: str | None = None
        self.municipality_id: int | None = None
        self.department_ids: frozenset[int] = frozenset()
        self.compare_scope = ""
        if not user.is_authenticated:
            return
        groups = {g.name for g in user.groups.all()}
        for role in (Role.ADMIN, Role.STAFF, Role.COUNCIL, Role.VIEWER):  # strongest first
            if role.value in groups:
                self.role = role.value
                break
        membership = getattr(user, "membership", None) if hasattr(user, "membership") else None
        if membership is not None:
            self.municipality_id = membership.municipality_id
            self.department_ids = frozenset(membership.departments.values_list("id", flat=True))
            self.compare_scope = membership.compare_scope
        if self.is_superuser and self.role is None:
            self.role = Role.ADMIN.value

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_staff_member(self) -> bool:
        return self.role == Role.STAFF

    @property
    def is_read_only(self) -> bool:
        return not (self.is_admin or self.is_staff_member)


def access_for(user: User | AnonymousUser) -> Access:
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = Access(user)
        try:
            setattr(user, _CACHE_ATTR, cached)
        except AttributeError:  # AnonymousUser instances are shared singletons in some code paths
            pass
    return cached


def forget_access(user: User) -> None:
    """Drop the cached Access (after changing someone's groups or departments in the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def municipality_id_of(obj: Any) -> int | None:
    """The municipality an object belongs to: every tenant-owned model answers `owning_municipality_id()`."""
    method = getattr(obj, "owning_municipality_id", None)
    if method is None:
        raise TypeError(f"No municipality rule for {type(obj).__name__}")
    return method()


def owner_department_ids(obj: Any) -> set[int]:
    """The departments whose staff may change an object (none for objects no department owns)."""
    method = getattr(obj, "owner_department_ids", None)
    return set(method()) if method is not None else set()


def can_view(user: User | AnonymousUser, obj: Any) -> bool:
    access = access_for(user)
    if access.is_superuser:
        return True
    if access.role is None or access.municipality_id is None:
        return False
    return municipality_id_of(obj) == access.municipality_id


def can_change(user: User | AnonymousUser, obj: Any) -> bool:
    """May this user change this object (or add a progress update / KPI value to it)?"""
    access = access_for(user)
    if access.is_superuser:
        return True
    if access.role is None or access.municipality_id is None:
        return False
    if municipality_id_of(obj) != access.municipality_id:
        return False
    if access.role == Role.ADMIN:
        return True
    if access.role == Role.STAFF:
        return bool(owner_department_ids(obj) & access.department_ids)
    return False


def can_compare_municipality(user: User | AnonymousUser, municipality: Any) -> bool:
    """Prefecture/national viewers may compare other municipalities; everyone else sees only their own."""
    access = access_for(user)
    if access.is_superuser or access.compare_scope == "national":
        return True
    if access.municipality_id == municipality.pk and access.role is not None:
        return True
    return bool(access.compare_scope) and municipality.code.startswith(access.compare_scope)
