"""Reads about plans that every page, dashboard and API endpoint shares."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from .models import Plan
from .permissions import access_for


def visible_plans(user: User | AnonymousUser) -> QuerySet[Plan]:
    """The plans this user may see — the one answer pages, dashboards and the API use.

    A superuser: every plan. A user with a role: their own municipality's plans. The public (not logged in):
    approved plans of every municipality when PUBLIC_DASHBOARD is on, none otherwise. Anyone else: none.
    """
    plans = Plan.objects.all()
    if not user.is_authenticated:
        return plans.filter(status=Plan.Status.APPROVED) if settings.PUBLIC_DASHBOARD else plans.none()
    access = access_for(user)
    if access.is_superuser:
        return plans
    if access.role is None or access.municipality_id is None:
        return plans.none()
    return plans.filter(municipality_id=access.municipality_id)
