"""Council pages: sessions and 答弁 commitments, what changed since the last session (/dashboard/changes/),
and the briefing for a session (A4 print + .xlsx). Read-only GET pages with the dashboard's access rules:
council members, staff and viewers of the municipality; anonymous visitors only in public mode, who see no
personal names and no internal comments."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_validation_errors
from dashboard import exports
from dashboard.history import plan_started_on, validate_as_of
from dashboard.views import BadInput, base_context, dashboard_context, dashboard_view, parse_day
from plans.permissions import can_change, can_view

from . import briefing_xlsx
from .forms import CommitmentStatusForm
from .models import Commitment, CouncilSession
from .selectors import (
    KIND_ORDER,
    briefing_for,
    changes_between,
    commitment_rows,
    last_session_before,
    sessions_of,
)
from .services import commitment_set_status


def _plan_context(request: HttpRequest):
    ctx = dashboard_context(request)
    if ctx.plan is None:
        raise Http404
    return ctx


def _session_for(ctx, pk: int) -> CouncilSession:
    session = CouncilSession.objects.filter(pk=pk, municipality_id=ctx.plan.municipality_id).first()
    if session is None:
        raise Http404
    return session


def _changes(request: HttpRequest):
    """The changes of the request: since (default: the last session's 閉会日) → until (default: today)."""
    ctx = _plan_context(request)
    today = timezone.localdate()
    until = parse_day(request, "until", _("終了日")) or ctx.as_of or today
    problem = validate_as_of(plan=ctx.plan, day=until, today=today)
    if problem:
        raise BadInput(problem)
    since = parse_day(request, "since", _("開始日"))
    session = None
    if since is None:
        session = last_session_before(municipality_id=ctx.plan.municipality_id, day=until)
        since = max(session.ends_on if session else until - dt.timedelta(days=90), plan_started_on(ctx.plan))
    else:
        problem = validate_as_of(plan=ctx.plan, day=since, today=today)
        if problem:
            raise BadInput(problem)
    if since > until:
        raise BadInput(
            _("開始日（%(since)s）が終了日（%(until)s）より後になっています。開始日は終了日以前にしてください。")
            % {"since": since.isoformat(), "until": until.isoformat()}
        )
    return ctx, changes_between(plan=ctx.plan, since=since, until=until), session


@dashboard_view
def changes(request: HttpRequest) -> HttpResponse:
    """What changed since the last council session (or any day), grouped by national item and department."""
    ctx, data, session = _changes(request)
    params = {"plan": ctx.plan.code, "since": data.since.isoformat(), "until": data.until.isoformat()}
    if ctx.public or ctx.access.is_superuser:
        params["muni"] = ctx.plan.municipality.code
    sessions = sessions_of(municipality_id=ctx.plan.municipality_id)
    return render(
        request,
        "council/changes.html",
        base_context(ctx, tab="changes", data=data, session=session, sessions=sessions, export_query=urlencode(params)),
    )


@dashboard_view
def changes_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    ctx, data, _session = _changes(request)
    headers = [
        _("国の取組事項"),
        _("担当部署"),
        _("区分"),
        _("施策コード"),
        _("施策"),
        _("対象"),
        _("変更前"),
        _("変更後"),
        _("備考"),
    ]
    rows = []
    for g in data.groups:
        for dept, changes in g.departments:
            for c in changes:
                rows.append(
                    [g.label, dept, c.kind_label, c.measure_code, c.measure_title, c.subject, c.before, c.after, c.note]
                )
    title = _("%(since)s以降の変化") % {"since": data.since.isoformat()}
    return exports.export_response(
        exports.Table("changes", title, headers, rows), fmt=fmt, as_of=data.until, request=request
    )


@dashboard_view
def sessions(request: HttpRequest) -> HttpResponse:
    """The council sessions and the commitments made in them (per session, or per questioner)."""
    ctx = _plan_context(request)
    questioner = "" if ctx.public else request.GET.get("questioner", "").strip()
    session_id = None
    raw = request.GET.get("session", "").strip()
    if raw:
        if not raw.isdigit():
            raise BadInput(_("会議の指定「%(value)s」は正しくありません。") % {"value": raw[:40]})
        session_id = _session_for(ctx, int(raw)).pk
    rows = commitment_rows(
        municipality_id=ctx.plan.municipality_id,
        today=ctx.today,
        public=ctx.public,
        session_id=session_id,
        questioner=questioner or None,
        as_of=ctx.as_of,
    )
    all_sessions = sessions_of(municipality_id=ctx.plan.municipality_id)
    questioners = (
        []
        if ctx.public
        else sorted(
            set(
                Commitment.objects.filter(municipality_id=ctx.plan.municipality_id).values_list("questioner", flat=True)
            )
        )
    )
    return render(
        request,
        "council/sessions.html",
        base_context(
            ctx,
            tab="council",
            rows=rows,
            sessions=all_sessions,
            session_id=session_id,
            questioner=questioner,
            questioners=questioners,
            overdue=sum(1 for r in rows if r.overdue),
        ),
    )


@dashboard_view
def commitment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = _plan_context(request)
    rows = [
        r
        for r in commitment_rows(municipality_id=ctx.plan.municipality_id, today=ctx.today, public=ctx.public)
        if r.id == pk
    ]
    if not rows:
        raise Http404
    can_edit = request.user.is_authenticated and can_change(
        request.user, Commitment.objects.select_related("session").get(pk=pk)
    )
    return render(request, "council/commitment.html", base_context(ctx, tab="council", c=rows[0], can_edit=can_edit))


@login_required
@require_http_methods(["GET", "POST"])
def commitment_update(request: HttpRequest, pk: int) -> HttpResponse:
    """The owning department's staff (or the 事務局) report a commitment's status, as for a milestone."""
    commitment = Commitment.objects.select_related("session", "owner_department").filter(pk=pk).first()
    if commitment is None or not can_view(request.user, commitment):
        raise Http404  # another municipality's: not even its existence is shown
    if not can_change(request.user, commitment):
        raise PermissionDenied(
            _("この答弁の進捗を更新する権限がありません。担当部署（%(dept)s）の職員または管理者に依頼してください。")
            % {"dept": commitment.owner_department.name}
        )
    if request.method == "GET":
        form = CommitmentStatusForm(
            initial={
                "status": commitment.status,
                "completed_on": commitment.completed_on,
                "progress_note": commitment.progress_note,
            }
        )
    else:
        form = CommitmentStatusForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                commitment_set_status(
                    commitment=commitment,
                    status=data["status"],
                    completed_on=data["completed_on"],
                    progress_note=data["progress_note"],
                )
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, _("答弁の進捗を更新しました。"))
                return redirect("council:commitment", pk=commitment.pk)
    return render(request, "council/commitment_update.html", {"commitment": commitment, "form": form})


@dashboard_view
def briefing(request: HttpRequest, pk: int) -> HttpResponse:
    """The briefing of a session: one A4 page to print."""
    ctx = _plan_context(request)
    session = _session_for(ctx, pk)
    data = briefing_for(plan=ctx.plan, session=session, today=timezone.localdate(), public=ctx.public)
    query = {"plan": ctx.plan.code}
    if ctx.public or ctx.access.is_superuser:
        query["muni"] = ctx.plan.municipality.code
    return render(
        request,
        "council/briefing.html",
        base_context(ctx, tab="council", b=data, kind_order=KIND_ORDER, xlsx_query=urlencode(query)),
    )


@dashboard_view
def briefing_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The same briefing as an .xlsx workbook (one sheet per part)."""
    ctx = _plan_context(request)
    session = _session_for(ctx, pk)
    data = briefing_for(plan=ctx.plan, session=session, today=timezone.localdate(), public=ctx.public)
    return briefing_xlsx.response(data, request=request)
