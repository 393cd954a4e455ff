"""Pages of the 推進体制, meetings and plan revisions. Thin: they pick the object (404 for another
municipality's), check the role (403 for a write by anyone but the 事務局), call a selector or a service."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import add_validation_errors
from core.formulas import neutralise
from plans import audit
from plans.models import Municipality, Plan
from plans.permissions import access_for

from . import selectors, services
from .forms import AgendaAddForm, AgendaItemForm, DecisionForm, MeetingForm, MinutesForm, RevisionForm
from .models import AgendaItem, Meeting, PlanRevision
from .permissions import may_manage, may_read, sees_internal
from .plan_diff import diff_workbook, plan_diff

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_MANAGER = _("推進体制・会議・計画改定を変更する権限がありません。DX推進本部事務局（管理者）に依頼してください。")


def _municipality_id(request: HttpRequest) -> int:
    access = access_for(request.user)
    if access.municipality_id is None:
        raise Http404
    return access.municipality_id


def _require_manager(request: HttpRequest, municipality_id: int) -> None:
    if not may_manage(request.user, municipality_id):
        raise PermissionDenied(NOT_MANAGER)


def _get_meeting_for_user(request: HttpRequest, pk: int) -> Meeting:
    meeting = get_object_or_404(Meeting.objects.select_related("plan", "municipality"), pk=pk)
    if not may_read(request.user, meeting.municipality_id):
        raise Http404  # another municipality's meeting: not even its existence is shown
    return meeting


def _get_rw_meeting_for_user(request: HttpRequest, pk: int) -> Meeting:
    meeting = _get_meeting_for_user(request, pk)
    _require_manager(request, meeting.municipality_id)
    return meeting


def _get_revision_for_user(request: HttpRequest, pk: int) -> PlanRevision:
    revision = get_object_or_404(
        PlanRevision.objects.select_related(
            "old_plan__municipality", "new_plan__edition", "old_plan__edition", "meeting"
        ),
        pk=pk,
    )
    if not may_read(request.user, revision.municipality_id):
        raise Http404
    return revision


# --- 推進体制 -------------------------------------------------------------------------------------------


@require_GET
def body(request: HttpRequest) -> HttpResponse:
    """The 推進体制. Public in public mode (PUBLIC_DASHBOARD), like the dashboards: ?muni=団体コード picks the
    municipality; anonymous visitors, council members and viewers see only the names marked public."""
    if request.user.is_authenticated:
        municipality_id = _municipality_id(request)
    elif settings.PUBLIC_DASHBOARD:
        muni = Municipality.objects.filter(plans__status=Plan.Status.APPROVED)
        if request.GET.get("muni", "").strip():
            muni = muni.filter(code=request.GET["muni"].strip())
        municipality_id = muni.order_by("code").values_list("id", flat=True).first()
        if municipality_id is None:
            raise Http404
    else:
        return redirect_to_login(request.get_full_path())
    return render(
        request,
        "governance/body.html",
        {
            "groups": selectors.body_roster(municipality_id=municipality_id),
            "show_all_names": request.user.is_authenticated and sees_internal(request.user),
            "can_manage": may_manage(request.user, municipality_id),
        },
    )


# --- meetings -----------------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    municipality_id = _municipality_id(request)
    return render(
        request,
        "governance/meeting_list.html",
        {
            "meetings": selectors.meetings_of(municipality_id=municipality_id),
            "can_manage": may_manage(request.user, municipality_id),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest) -> HttpResponse:
    municipality_id = _municipality_id(request)
    _require_manager(request, municipality_id)
    form = MeetingForm(request.POST or None, municipality_id=municipality_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(
                user=request.user,
                plan=data["plan"],
                kind=data["kind"],
                held_on=data["held_on"],
                number=data["number"],
                place=data["place"],
                attendees=list(data["attendees"]),
                attendees_note=data["attendees_note"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(title)s を作成しました。議題の提案から採用する議題を選んでください。") % {"title": meeting.title},
            )
            return redirect("governance:meeting", pk=meeting.pk)
    return render(request, "governance/meeting_form.html", {"form": form})


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting_for_user(request, pk)
    can_manage = may_manage(request.user, meeting.municipality_id)
    material = selectors.meeting_material(meeting_id=meeting.pk)
    context = {"meeting": material, "can_manage": can_manage, "internal": sees_internal(request.user)}
    if can_manage:
        context |= {
            "proposals": selectors.agenda_proposals(meeting=meeting),
            "add_form": AgendaAddForm(),
            "minutes_form": MinutesForm(
                initial={
                    "summary_public": meeting.summary_public,
                    "summary_internal": meeting.summary_internal,
                    "materials": meeting.materials,
                }
            ),
        }
    return render(request, "governance/meeting_detail.html", context)


@login_required
@require_POST
def agenda_accept(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_rw_meeting_for_user(request, pk)
    try:
        items = services.agenda_accept(user=request.user, meeting=meeting, keys=request.POST.getlist("proposal"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)s件の議題を採用しました。") % {"n": len(items)})
    return redirect("governance:meeting", pk=meeting.pk)


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_rw_meeting_for_user(request, pk)
    form = AgendaAddForm(request.POST)
    if form.is_valid():
        services.agenda_item_add(
            user=request.user, meeting=meeting, title=form.cleaned_data["title"], note=form.cleaned_data["note"]
        )
        messages.success(request, _("議題を追加しました。"))
    else:
        messages.error(request, _("議題を入力してください。"))
    return redirect("governance:meeting", pk=meeting.pk)


@login_required
@require_POST
def agenda_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(AgendaItem.objects.select_related("meeting"), pk=pk)
    meeting = _get_rw_meeting_for_user(request, item.meeting_id)
    if request.POST.get("remove"):
        try:
            services.agenda_item_remove(user=request.user, item=item)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("議題を外しました。"))
        return redirect("governance:meeting", pk=meeting.pk)
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        services.agenda_item_update(
            user=request.user, item=item, order=form.cleaned_data["order"], note=form.cleaned_data["note"]
        )
        messages.success(request, _("議題「%(title)s」を更新しました。") % {"title": item.title})
    else:
        messages.error(request, _("順番は0〜999の整数で入力してください。"))
    return redirect("governance:meeting", pk=meeting.pk)


@login_required
@require_http_methods(["GET", "POST"])
def decision_new(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_rw_meeting_for_user(request, pk)
    initial = {"agenda_item": request.GET.get("item")} if request.GET.get("item", "").isdigit() else None
    form = DecisionForm(request.POST or None, initial=initial, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        specs = [
            services.ActionSpec(
                title=row["title"] or "", owner_department=row["owner"], due_date=row["due"], measure=row["measure"]
            )
            for row in form.action_rows()
        ]
        try:
            decision = services.decision_record(
                user=request.user,
                meeting=meeting,
                text=data["text"],
                agenda_item=data["agenda_item"],
                is_public=data["is_public"],
                actions=specs,
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            n = decision.actions.count()
            messages.success(
                request, _("決定事項を記録しました（対応事項 %(n)s件をマイルストーンとして登録）。") % {"n": n}
            )
            return redirect("governance:meeting", pk=meeting.pk)
    return render(request, "governance/decision_form.html", {"meeting": meeting, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_rw_meeting_for_user(request, pk)
    form = MinutesForm(
        request.POST or None,
        initial={
            "summary_public": meeting.summary_public,
            "summary_internal": meeting.summary_internal,
            "materials": meeting.materials,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.meeting_update_minutes(user=request.user, meeting=meeting, **form.cleaned_data)
        messages.success(request, _("議事要旨と資料を保存しました。"))
        return redirect("governance:meeting", pk=meeting.pk)
    return render(request, "governance/minutes_form.html", {"meeting": meeting, "form": form})


def _decisions_for(request: HttpRequest, meeting: Meeting) -> list:
    internal = sees_internal(request.user)
    return [d for d in meeting.decisions.all() if internal or d.is_public]


@login_required
@require_GET
def meeting_print(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting_for_user(request, pk)
    material = selectors.meeting_material(meeting_id=meeting.pk)
    return render(
        request,
        "governance/meeting_print.html",
        {"meeting": material, "decisions": _decisions_for(request, material), "internal": sees_internal(request.user)},
    )


@login_required
@require_GET
def meeting_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    meeting = _get_meeting_for_user(request, pk)
    material = selectors.meeting_material(meeting_id=meeting.pk)
    internal = sees_internal(request.user)
    wb = Workbook()
    ws = wb.active
    ws.title = _("議題")
    ws.append([neutralise(f"{material.title} {material.held_on:%Y/%m/%d}")])
    ws["A1"].font = Font(bold=True, size=14)
    headers = [_("順番"), _("種類"), _("議題"), _("状況（開催日時点）")] + ([_("事務局メモ")] if internal else [])
    ws.append(headers)
    for item in material.agenda_items.all():
        row = [item.order, str(item.get_source_display()), item.title, item.facts] + ([item.note] if internal else [])
        ws.append([neutralise(v) if isinstance(v, str) else v for v in row])
    ds = wb.create_sheet(_("決定事項"))
    ds.append([_("議題"), _("決定事項"), _("公開"), _("対応事項"), _("担当部署"), _("期限"), _("状況")])
    for d in _decisions_for(request, material):
        base = [d.agenda_item.title if d.agenda_item else "", d.text, _("公開") if d.is_public else _("庁内限り")]
        actions = list(d.actions.all())
        if not actions:
            ds.append([neutralise(v) for v in base])
        for a in actions:
            ms = a.milestone
            ds.append(
                [neutralise(v) for v in base]
                + [
                    neutralise(ms.title),
                    neutralise(ms.owner_department.name),
                    ms.due_date,
                    str(ms.get_status_display()),
                ]
            )
    buffer = io.BytesIO()
    wb.save(buffer)
    audit.record(request=request, action="export", target=f"{material.title} (xlsx)", format="xlsx")
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.xlsx"'
    return response


# --- plan revisions -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def revision_list(request: HttpRequest) -> HttpResponse:
    municipality_id = _municipality_id(request)
    can_manage = may_manage(request.user, municipality_id)
    form = RevisionForm(request.POST or None, municipality_id=municipality_id) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(NOT_MANAGER)
        if form.is_valid():
            try:
                revision = services.revision_start(
                    user=request.user, plan=form.cleaned_data["plan"], reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "改定案（第%(v)s版）を作成しました。内容を管理画面で編集し、新旧対照表で確認してから承認してください。"
                    )
                    % {"v": revision.new_plan.version},
                )
                return redirect("governance:revision", pk=revision.pk)
    revisions = PlanRevision.objects.filter(municipality_id=municipality_id).select_related(
        "old_plan", "new_plan", "approved_by"
    )
    plans = Plan.objects.filter(municipality_id=municipality_id).order_by("-version", "code")
    return render(
        request,
        "governance/revision_list.html",
        {"revisions": revisions, "plans": plans, "form": form, "can_manage": can_manage},
    )


@login_required
@require_GET
def revision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    revision = _get_revision_for_user(request, pk)
    rows = plan_diff(old=revision.old_plan, new=revision.new_plan)
    return render(
        request,
        "governance/revision_detail.html",
        {"revision": revision, "rows": rows, "can_manage": may_manage(request.user, revision.municipality_id)},
    )


@login_required
@require_GET
def revision_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    revision = _get_revision_for_user(request, pk)
    rows = plan_diff(old=revision.old_plan, new=revision.new_plan)
    content = diff_workbook(old=revision.old_plan, new=revision.new_plan, rows=rows)
    audit.record(request=request, action="export", target=f"新旧対照表 {revision.new_plan.code} (xlsx)", format="xlsx")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="shinkyu-{revision.new_plan.code}.xlsx"'
    return response


@login_required
@require_POST
def revision_approve(request: HttpRequest, pk: int) -> HttpResponse:
    revision = _get_revision_for_user(request, pk)
    _require_manager(request, revision.municipality_id)
    try:
        services.revision_approve(user=request.user, revision=revision)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("改定を承認しました。「%(new)s」（第%(v)s版）が現行の計画になり、旧版は終了としました。")
            % {"new": revision.new_plan.title, "v": revision.new_plan.version},
        )
    return redirect("governance:revision", pk=revision.pk)


@login_required
@require_POST
def revision_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    revision = _get_revision_for_user(request, pk)
    _require_manager(request, revision.municipality_id)
    try:
        services.revision_withdraw(user=request.user, revision=revision)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("改定案を取り下げました。"))
    return redirect("governance:revision", pk=revision.pk)
