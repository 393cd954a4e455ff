from django.conf import settings
from django.http import HttpRequest

from .permissions import access_for


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "portal_access": access_for(user) if user is not None else None,
        "PUBLIC_DASHBOARD": settings.PUBLIC_DASHBOARD,
        "ADMIN_URL": settings.ADMIN_URL,
    }
