from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from plans.permissions import can_change, can_view

from .models import Milestone


@login_required
def milestone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(
        Milestone.objects.select_related("measure__plan__municipality", "owner_department",
                                         "measure__owner_department"),
        pk=pk,
    )
    if not can_view(request.user, milestone):
        raise Http404
    return render(request, "milestones/detail.html",
                  {"milestone": milestone, "can_edit": can_change(request.user, milestone)})
