from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from plans.permissions import can_change, can_view

from .models import Measure


@login_required
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    measure = get_object_or_404(
        Measure.objects.select_related("plan__municipality", "owner_department", "pillar")
        .prefetch_related("national_items", "milestones__owner_department", "indicators"),
        pk=pk,
    )
    if not can_view(request.user, measure):
        raise Http404  # another municipality's data: not even its existence is shown
    return render(request, "measures/detail.html",
                  {"measure": measure, "can_edit": can_change(request.user, measure)})
