from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from plans.permissions import access_for, can_change, can_view

from . import selectors, services
from .forms import IndicatorValueForm, ProgressReportForm, WorkFilterForm
from .models import Indicator, Measure
from .progress import GRADE_RULE


def _get_measure_for_user(request: HttpRequest, pk: int) -> Measure:
    """The measure, annotated for its detail page; 404 for another municipality's (not even its existence shows)."""
    try:
        measure = selectors.measure_detail(pk=pk, today=timezone.localdate())
    except Measure.DoesNotExist:
        raise Http404
    if not can_view(request.user, measure):
        raise Http404
    return measure


def _get_rw_measure_for_user(request: HttpRequest, pk: int) -> Measure:
    measure = get_object_or_404(Measure.objects.select_related("plan", "owner_department"), pk=pk)
    if not can_view(request.user, measure):
        raise Http404
    if not can_change(request.user, measure):
        raise PermissionDenied(_("この施策を更新する権限がありません。担当部署（%(dept)s）の職員または管理者に依頼してください。")
                               % {"dept": measure.owner_department.name})
    return measure


def _get_rw_indicator_for_user(request: HttpRequest, pk: int) -> Indicator:
    indicator = get_object_or_404(Indicator.objects.select_related("plan", "measure__owner_department"), pk=pk)
    if not can_view(request.user, indicator):
        raise Http404
    if not can_change(request.user, indicator):
        raise PermissionDenied(_("この指標の実績を登録する権限がありません。担当部署（%(dept)s）の職員または管理者に依頼してください。")
                               % {"dept": indicator.measure.owner_department.name})
    return indicator


def add_validation_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError beside the form's fields (or above the form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
@require_GET
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    measure = _get_measure_for_user(request, pk)
    can_edit = can_change(request.user, measure)
    return render(request, "measures/detail.html", {
        "measure": measure,
        "detail": selectors.measure_detail_data(measure=measure, user=request.user),
        # 「庁内限り」 means city-hall staff only: council members and viewers do not see those comments.
        "timeline": selectors.measure_timeline(measure=measure,
                                               include_internal=not access_for(request.user).is_read_only),
        "can_edit": can_edit,
        "grade_rule": GRADE_RULE,
        "progress_form": ProgressReportForm(initial={"status": measure.latest_status,
                                                     "percent_done": measure.latest_percent}) if can_edit else None,
    })


@login_required
@require_http_methods(["GET", "POST"])
def measure_report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    measure = _get_rw_measure_for_user(request, pk)
    form = ProgressReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_report_progress(measure=measure, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("進捗を報告しました。"))
            return redirect("measures:detail", pk=measure.pk)
    return render(request, "measures/progress_form.html", {"measure": measure, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def indicator_record_value(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = _get_rw_indicator_for_user(request, pk)
    initial = {"source": indicator.source}
    if request.GET.get("as_of"):
        initial["as_of"] = request.GET["as_of"]  # 「訂正」 links prefill the date of the value to correct
    form = IndicatorValueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            value = services.indicator_record_value(indicator=indicator, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("実績を訂正しました（訂正前の値は履歴に残ります）。") if value.corrects_id
                             else _("実績を登録しました。"))
            return redirect("measures:detail", pk=indicator.measure_id)
    values = indicator.values.select_related("recorded_by__membership").order_by("-as_of", "-recorded_at")
    return render(request, "measures/indicator_value_form.html",
                  {"indicator": indicator, "measure": indicator.measure, "form": form, "values": values})


@login_required
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    """「担当の取組」: what the user's departments own, most urgent first."""
    access = access_for(request.user)
    form = WorkFilterForm(request.GET or None)
    filters = selectors.WorkFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.WorkFilters(health=data["health"], milestone_status=data["ms_status"],
                                        national_item_id=data["item"].pk if data["item"] else None,
                                        fiscal_year=data["fy"])
    work = selectors.work_list(user=request.user, today=timezone.localdate(), filters=filters)
    return render(request, "work/mine.html", {"work": work, "form": form, "access": access})
