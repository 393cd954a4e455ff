"""The staff pages: 「担当の取組」 (/work/) and a measure's page with its milestones, KPIs and timeline."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from measures.forms import ProgressReportForm
from measures.models import Measure
from measures.progress import GRADE_RULE, PROGRESS_RULE, discrepancy_rule
from milestones.timeline import measure_timeline
from plans.permissions import access_for, can_change, can_view

from . import selectors
from .forms import WorkFilterForm


def _get_measure_for_user(request: HttpRequest, pk: int) -> Measure:
    """The measure, annotated for its detail page; 404 for another municipality's (not even its existence shows)."""
    try:
        measure = selectors.measure_detail(pk=pk, today=timezone.localdate())
    except Measure.DoesNotExist:
        raise Http404
    if not can_view(request.user, measure):
        raise Http404
    return measure


@login_required
@require_GET
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    measure = _get_measure_for_user(request, pk)
    can_edit = can_change(request.user, measure)
    return render(
        request,
        "measures/detail.html",
        {
            "measure": measure,
            "detail": selectors.measure_detail_data(measure=measure, user=request.user),
            # 「庁内限り」 means city-hall staff only: council members and viewers do not see those comments.
            "timeline": measure_timeline(measure=measure, include_internal=not access_for(request.user).is_read_only),
            "can_edit": can_edit,
            "grade_rule": GRADE_RULE,
            "progress_rule": PROGRESS_RULE,
            "discrepancy_rule": discrepancy_rule(),
            "progress_form": ProgressReportForm(
                initial={"status": measure.latest_status, "percent_done": measure.latest_percent}
            )
            if can_edit
            else None,
        },
    )


@login_required
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    """「担当の取組」: what the user's departments own, most urgent first."""
    access = access_for(request.user)
    form = WorkFilterForm(request.GET or None)
    filters = selectors.WorkFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.WorkFilters(
            health=data["health"],
            milestone_status=data["ms_status"],
            national_item_id=data["item"].pk if data["item"] else None,
            fiscal_year=data["fy"],
        )
    work = selectors.work_list(user=request.user, today=timezone.localdate(), filters=filters)
    return render(request, "work/mine.html", {"work": work, "form": form, "access": access})
