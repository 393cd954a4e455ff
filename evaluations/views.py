"""Pages of the annual evaluation: the rounds of a plan, a round's progress, one measure's evaluation (edit,
submit, review), approval and publication, the 進捗状況報告書 (A4 page and .xlsx) and the 費用対価値 table.
Views choose the objects and call services/selectors; services check permissions and states themselves."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import add_validation_errors
from measures.models import Audience, ChangeLevel, Channel
from plans import audit
from plans.models import Plan
from plans.permissions import access_for, can_view

from . import selectors, services
from .forms import EvaluationForm, OpenRoundForm, ReturnForm
from .models import EvaluationRound, MeasureEvaluation
from .report import report_workbook
from .services import StateConflict


def _conflict(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "evaluations/conflict.html", {"message": message}, status=409)


def _plan_for_user(request: HttpRequest) -> Plan:
    """The plan the user works on (?plan=code picks another of their municipality's plans)."""
    access = access_for(request.user)
    if access.role is None or (access.municipality_id is None and not access.is_superuser):
        raise PermissionDenied(_("このページを表示する権限がありません。"))
    plans = Plan.objects.select_related("municipality")
    if not access.is_superuser:
        plans = plans.filter(municipality_id=access.municipality_id)
    code = request.GET.get("plan", "").strip()
    if code:
        plan = plans.filter(code=code).order_by("municipality__code").first()
    else:
        plan = (
            plans.filter(status=Plan.Status.APPROVED).order_by("municipality__code", "-start_fy", "-id").first()
            or plans.exclude(status=Plan.Status.ARCHIVED).order_by("-start_fy", "-id").first()
        )
    if plan is None:
        raise Http404
    return plan


def _round_for_user(request: HttpRequest, pk: int) -> EvaluationRound:
    round_ = get_object_or_404(EvaluationRound.objects.select_related("plan__municipality"), pk=pk)
    if not can_view(request.user, round_.plan):
        raise Http404
    return round_


def _evaluation_for_user(request: HttpRequest, pk: int) -> MeasureEvaluation:
    evaluation = get_object_or_404(
        MeasureEvaluation.objects.select_related(
            "round__plan__municipality", "measure__owner_department", "measure__pillar"
        ),
        pk=pk,
    )
    if not can_view(request.user, evaluation.measure):
        raise Http404
    return evaluation


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """The plan's evaluation rounds; the 事務局 opens a new one here."""
    plan = _plan_for_user(request)
    secretariat = services.is_secretariat(request.user, plan)
    form = OpenRoundForm(request.POST or None)
    if request.method == "POST":
        if not secretariat:
            raise PermissionDenied(_("年度評価を開始できるのはDX推進本部事務局（管理者）です。"))
        if form.is_valid():
            try:
                round_ = services.open_round(plan=plan, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(fy)sの年度評価を開始しました（対象の施策 %(n)d件）。")
                    % {"fy": round_.fiscal_year_label, "n": round_.evaluations.count()},
                )
                return redirect("evaluations:round", pk=round_.pk)
    rounds = EvaluationRound.objects.filter(plan=plan).order_by("-fiscal_year")
    return render(
        request,
        "evaluations/index.html",
        {
            "plan": plan,
            "rounds": rounds,
            "form": form if secretariat else None,
            "progress": selectors.round_progress(plan),
        },
    )


@login_required
@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for_user(request, pk)
    access = access_for(request.user)
    secretariat = services.is_secretariat(request.user, round_.plan)
    evaluations = selectors.round_evaluations(round=round_)
    return render(
        request,
        "evaluations/round.html",
        {
            "round": round_,
            "plan": round_.plan,
            "progress": selectors.round_progress(round_.plan, round=round_),
            "evaluations": evaluations,
            "secretariat": secretariat,
            "mine": access.department_ids,
            "can_approve": secretariat and round_.state == EvaluationRound.State.OPEN,
            "can_publish": secretariat and round_.state == EvaluationRound.State.APPROVED,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """One measure's evaluation: the department drafts and submits it; others read it."""
    evaluation = _evaluation_for_user(request, pk)
    may_edit = services.may_edit(request.user, evaluation)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(
                _(
                    "この施策（%(measure)s）の年度評価を編集する権限がありません。担当部署（%(dept)s）の職員が入力します。"
                )
                % {"measure": evaluation.measure.code, "dept": evaluation.measure.owner_department.name}
            )
        try:
            services.require_editable(evaluation)
        except StateConflict as exc:
            return _conflict(request, exc.message)
    form = EvaluationForm(
        request.POST or None,
        evaluation=evaluation,
        initial={
            "achievements": evaluation.achievements,
            "self_grade": evaluation.self_grade,
            "outcomes": evaluation.outcomes,
            "issues": evaluation.issues,
            "direction": evaluation.direction,
            "settled_cost_thousand_yen": evaluation.settled_cost_thousand_yen,
            "hours_saved_per_year": evaluation.hours_saved_per_year,
            "evidence_links": evaluation.evidence_links,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_draft(evaluation=evaluation, user=request.user, **form.service_kwargs())
            if "submit" in request.POST:
                services.submit(evaluation=evaluation, user=request.user)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        except StateConflict as exc:
            return _conflict(request, exc.message)
        else:
            if "submit" in request.POST:
                messages.success(request, _("評価を提出しました。事務局の確認をお待ちください。"))
                return redirect("evaluations:round", pk=evaluation.round_id)
            messages.success(request, _("下書きを保存しました。"))
            return redirect("evaluations:edit", pk=evaluation.pk)
    access = access_for(request.user)
    return render(
        request,
        "evaluations/edit.html",
        {
            "evaluation": evaluation,
            "round": evaluation.round,
            "measure": evaluation.measure,
            "form": form,
            "editable": may_edit and evaluation.is_editable,
            "can_review": services.is_secretariat(request.user, evaluation.round.plan)
            and evaluation.state == MeasureEvaluation.State.SUBMITTED
            and not evaluation.round.is_locked,
            "return_form": ReturnForm(),
            "show_internal": not access.is_read_only,
            "kpis": evaluation.kpis.select_related("indicator"),
        },
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The 事務局 accepts (受理) or sends back (差戻し, with a comment) a submitted evaluation."""
    evaluation = _evaluation_for_user(request, pk)
    if not services.is_secretariat(request.user, evaluation.round.plan):
        raise PermissionDenied(_("評価を確認（受理・差戻し）できるのはDX推進本部事務局（管理者）です。"))
    try:
        if request.POST.get("action") == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("差戻しの理由を入力してください。"))
                return redirect("evaluations:edit", pk=evaluation.pk)
            services.return_evaluation(evaluation=evaluation, user=request.user, comment=form.cleaned_data["comment"])
            messages.success(request, _("%(code)s の評価を差し戻しました。") % {"code": evaluation.measure.code})
        elif request.POST.get("action") == "accept":
            services.accept(evaluation=evaluation, user=request.user)
            messages.success(request, _("%(code)s の評価を受理しました。") % {"code": evaluation.measure.code})
        else:
            messages.error(request, _("操作（受理または差戻し）を選んでください。"))
            return redirect("evaluations:edit", pk=evaluation.pk)
    except StateConflict as exc:
        return _conflict(request, exc.message)
    return redirect("evaluations:round", pk=evaluation.round_id)


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    """The 本部's explicit approval: the round is locked."""
    round_ = _round_for_user(request, pk)
    try:
        services.approve_round(round=round_, user=request.user)
    except StateConflict as exc:
        return _conflict(request, exc.message)
    messages.success(
        request, _("%(fy)sの年度評価を承認しました。以後は変更できません。") % {"fy": round_.fiscal_year_label}
    )
    return redirect("evaluations:round", pk=round_.pk)


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for_user(request, pk)
    try:
        services.publish_round(round=round_, user=request.user)
    except StateConflict as exc:
        return _conflict(request, exc.message)
    messages.success(request, _("%(fy)sの進捗状況報告書を公表しました。") % {"fy": round_.fiscal_year_label})
    return redirect("evaluations:round", pk=round_.pk)


def _reportable_round(request: HttpRequest, pk: int) -> EvaluationRound:
    round_ = _round_for_user(request, pk)
    if not round_.is_reportable:
        raise StateConflict(
            _("進捗状況報告書は本部承認後に作成できます（現在: %(state)s）。") % {"state": round_.get_state_display()}
        )
    return round_


@login_required
@require_GET
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The 進捗状況報告書 as a printable A4 page."""
    try:
        round_ = _reportable_round(request, pk)
    except StateConflict as exc:
        return _conflict(request, exc.message)
    return render(
        request,
        "evaluations/report.html",
        {"round": round_, "plan": round_.plan, "sections": selectors.report_sections(round=round_)},
    )


@login_required
@require_GET
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        round_ = _reportable_round(request, pk)
    except StateConflict as exc:
        return _conflict(request, exc.message)
    content = report_workbook(round=round_, sections=selectors.report_sections(round=round_))
    audit.record(
        request=request,
        action="export",
        target=f"進捗状況報告書 {round_.fiscal_year_label} (xlsx)",
        table="evaluation_report",
        format="xlsx",
    )
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        f'attachment; filename="progress-report-{round_.plan_id}-{round_.fiscal_year}.xlsx"'
    )
    return response


FILTER_CHOICES = {"change_level": ChangeLevel, "channel": Channel, "audience": Audience}
TAG_CHOICES = (("gx", "GX"), ("wellbeing", gettext_lazy("ウェルビーイング")))


@login_required
@require_GET
def value_for_money(request: HttpRequest) -> HttpResponse:
    """費用対価値: cost next to KPI progress and hours saved, per measure, national item and pillar."""
    plan = _plan_for_user(request)
    rounds = list(EvaluationRound.objects.filter(plan=plan).order_by("-fiscal_year"))
    round_ = None
    fy = request.GET.get("fy", "").strip()
    if fy:
        round_ = next((r for r in rounds if str(r.fiscal_year) == fy), None)
        if round_ is None:
            messages.warning(
                request, _("年度「%(fy)s」の年度評価はないため、最新の年度評価を表示しています。") % {"fy": fy[:10]}
            )
    raw = {name: request.GET.get(name, "").strip() for name in ("change_level", "channel", "audience", "tag")}
    clean = {
        name: value
        for name, value in raw.items()
        if value
        and (value in dict(FILTER_CHOICES[name].choices) if name in FILTER_CHOICES else value in dict(TAG_CHOICES))
    }
    sort = request.GET.get("sort", "code")
    data = selectors.value_for_money(plan=plan, round=round_, sort=sort, filters=selectors.ValueFilters(**clean))
    query = {k: v for k, v in {"plan": request.GET.get("plan", ""), "fy": fy, **clean}.items() if v}
    sort_links = {
        key: "?" + urlencode({**query, "sort": f"-{key}" if data.sort == key else key}) for key in selectors.SORT_KEYS
    }
    return render(
        request,
        "evaluations/value.html",
        {
            "plan": plan,
            "data": data,
            "rule": selectors.VALUE_RULE,
            "rounds": rounds,
            "filters": clean,
            "query": query,
            "choices": {name: choice.choices for name, choice in FILTER_CHOICES.items()},
            "tag_choices": TAG_CHOICES,
            "sort_links": sort_links,
        },
    )
