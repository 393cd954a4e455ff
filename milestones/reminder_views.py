"""Reminder settings of the signed-in user, and the department calendar feed (.ics)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.fiscal import format_wareki
from plans.models import Department, Membership, Plan

from .ical import Event, calendar
from .models import Milestone


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    membership = Membership.objects.filter(user=request.user).first()
    if membership is None:
        raise Http404(_("所属が設定されていません。"))
    if request.method == "POST":
        membership.receives_reminders = request.POST.get("receives_reminders") == "on"
        membership.save(update_fields=["receives_reminders"])
        messages.success(
            request,
            _("期限通知メールを受け取ります。")
            if membership.receives_reminders
            else _("期限通知メールを停止しました。"),
        )
        return redirect("notification_settings")
    departments = [
        (d, settings.SITE_URL + reverse("department_calendar", args=[d.calendar_token]) if d.calendar_token else "")
        for d in membership.departments.order_by("sort_order", "code")
    ]
    return render(
        request, "milestones/notification_settings.html", {"membership": membership, "departments": departments}
    )


@require_GET
def department_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The milestones of one department as iCalendar. The token is the secret; clearing it revokes the URL."""
    if len(token) < 20:
        raise Http404
    department = Department.objects.filter(calendar_token=token).first()
    if department is None:
        raise Http404
    milestones = (
        Milestone.objects.filter(owner_department=department)
        .exclude(status=Milestone.Status.CANCELLED)
        .exclude(plan__status=Plan.Status.ARCHIVED)
        .select_related("measure")
        .order_by("due_date", "code")
    )
    host = settings.SITE_URL.split("//", 1)[-1]
    events = (
        Event(
            uid=f"milestone-{m.pk}@{host}",
            day=m.due_date,
            summary=f"【{m.get_status_display()}】{m.title}",
            description=_("施策: %(measure)s\n期限: %(due)s\n状況: %(status)s")
            % {
                "measure": f"{m.measure.code} {m.measure.title}",
                "due": format_wareki(m.due_date, weekday=True),
                "status": m.get_status_display(),
            },
            url=f"{settings.SITE_URL}/milestones/{m.pk}/",
            last_modified=m.updated_at,
        )
        for m in milestones
    )
    body = calendar(
        name=_("%(department)s のマイルストーン") % {"department": department.name}, events=events, stamp=timezone.now()
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="milestones.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response
