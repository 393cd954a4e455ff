from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_validation_errors
from plans.permissions import can_change, can_view

from . import selectors, services
from .forms import IndicatorValueForm, ProgressReportForm
from .models import Indicator, Measure


def _get_rw_measure_for_user(request: HttpRequest, pk: int) -> Measure:
    measure = get_object_or_404(Measure.objects.select_related("plan", "owner_department"), pk=pk)
    if not can_view(request.user, measure):
        raise Http404
    if not can_change(request.user, measure):
        raise PermissionDenied(
            _("この施策を更新する権限がありません。担当部署（%(dept)s）の職員または管理者に依頼してください。")
            % {"dept": measure.owner_department.name}
        )
    return measure


def _get_rw_indicator_for_user(request: HttpRequest, pk: int) -> Indicator:
    indicator = get_object_or_404(Indicator.objects.select_related("plan", "measure__owner_department"), pk=pk)
    if not can_view(request.user, indicator):
        raise Http404
    if not can_change(request.user, indicator):
        raise PermissionDenied(
            _("この指標の実績を登録する権限がありません。担当部署（%(dept)s）の職員または管理者に依頼してください。")
            % {"dept": indicator.measure.owner_department.name}
        )
    return indicator


@login_required
@require_http_methods(["GET", "POST"])
def measure_report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    measure = _get_rw_measure_for_user(request, pk)
    form = ProgressReportForm(request.POST or None, initial=selectors.progress_form_initial(measure=measure))
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
            messages.success(
                request,
                _("実績を訂正しました（訂正前の値は履歴に残ります）。")
                if value.corrects_id
                else _("実績を登録しました。"),
            )
            return redirect("measures:detail", pk=indicator.measure_id)
    values = indicator.values.select_related("recorded_by__membership").order_by("-as_of", "-recorded_at")
    return render(
        request,
        "measures/indicator_value_form.html",
        {"indicator": indicator, "measure": indicator.measure, "form": form, "values": values},
    )
