from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import check_database, check_redis
from .permissions import access_for
from .roles import Role
from .selectors import visible_plans


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database (and Redis, if configured) answer; 503 with the reason otherwise."""
    db_ok, db_detail = check_database()
    checks = {"database": {"ok": db_ok, "detail": db_detail}}
    redis_result = check_redis()
    if redis_result is not None:
        checks["redis"] = {"ok": redis_result[0], "detail": redis_result[1]}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unhealthy", "checks": checks}, status=200 if healthy else 503)


# Where each role lands after login ("/"). A role without an entry sees the plan list below.
LANDING_BY_ROLE: dict[str, str] = {
    Role.ADMIN: "office:home",  # the 事務局's home: plans' health, data-quality warnings, requests to decide
    Role.STAFF: "work:mine",  # 「担当の取組」: the department's measures and milestones, most urgent first
    Role.COUNCIL: "dashboard:overview",  # the council dashboard
    Role.VIEWER: "dashboard:overview",
}


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The portal's landing page: sends each role to its start page, or lists the municipality's plans."""
    access = access_for(request.user)
    target = LANDING_BY_ROLE.get(access.role or "")
    if target and not access.is_superuser:
        return redirect(target)
    plans = visible_plans(request.user).select_related("municipality", "edition")
    return render(request, "plans/home.html", {"plans": plans, "access": access})
