"""Who may read the open-data API: the same rule as the dashboard pages (plans.permissions underneath)."""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from plans.permissions import access_for


class PortalReader(BasePermission):
    """Read-only for everyone: a user with a role reads their municipality; anonymous visitors read approved
    plans only when PUBLIC_DASHBOARD is on. Writes are refused for all (the API has none)."""

    message = "閲覧する権限がありません。"

    def has_permission(self, request, view) -> bool:
        if request.method not in SAFE_METHODS:
            return False
        if not request.user.is_authenticated:
            return bool(settings.PUBLIC_DASHBOARD)
        access = access_for(request.user)
        return access.is_superuser or (access.role is not None and access.municipality_id is not None)


def exception_handler(exc, context):
    """DRF's handler, with "not logged in" said the way the rest of the portal says a refusal (Japanese, 403)."""
    from rest_framework.exceptions import NotAuthenticated, PermissionDenied
    from rest_framework.views import exception_handler as drf_handler

    if isinstance(exc, NotAuthenticated):
        exc = PermissionDenied("閲覧する権限がありません。ログインしてください。")
    return drf_handler(exc, context)
