from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import add_validation_errors
from milestones.timeline import milestone_timeline
from plans.permissions import can_change, can_view

from .forms import MilestoneUpdateForm
from .models import Milestone
from .services import MilestoneConflict, milestone_update


def _get_milestone_for_user(request: HttpRequest, pk: int) -> Milestone:
    milestone = get_object_or_404(
        Milestone.objects.select_related("plan", "measure__plan__municipality", "owner_department",
                                         "measure__owner_department", "updated_by__membership"),
        pk=pk,
    )
    if not can_view(request.user, milestone):
        raise Http404  # another municipality's data: not even its existence is shown
    return milestone


def _get_rw_milestone_for_user(request: HttpRequest, pk: int) -> Milestone:
    milestone = _get_milestone_for_user(request, pk)
    if not can_change(request.user, milestone):
        raise PermissionDenied(_("このマイルストーンを更新する権限がありません。担当部署（%(dept)s）の職員または管理者に依頼してください。")
                               % {"dept": milestone.owner_department.name})
    return milestone


def _initial(milestone: Milestone) -> dict:
    return {"status": milestone.status, "completed_on": milestone.completed_on, "comment": milestone.comment,
            "version": milestone.version}


@login_required
@require_GET
def milestone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = _get_milestone_for_user(request, pk)
    can_edit = can_change(request.user, milestone)
    return render(request, "milestones/detail.html", {
        "milestone": milestone,
        "can_edit": can_edit,
        "form": MilestoneUpdateForm(initial=_initial(milestone)) if can_edit else None,
        "timeline": milestone_timeline(milestone=milestone),
    })


@login_required
@require_http_methods(["GET", "POST"])
def milestone_update_view(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = _get_rw_milestone_for_user(request, pk)
    if request.method == "GET":
        form = MilestoneUpdateForm(initial=_initial(milestone))
        return render(request, "milestones/update.html", {"milestone": milestone, "form": form})
    form = MilestoneUpdateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            milestone_update(milestone=milestone, user=request.user, status=data["status"],
                             completed_on=data["completed_on"], comment=data["comment"],
                             expected_version=data["version"])
        except MilestoneConflict as conflict:
            # Keep what the user typed, show what is there now, and let a deliberate second save go through.
            kept = request.POST.copy()
            kept["version"] = str(conflict.current.version)
            form = MilestoneUpdateForm(kept)
            form.is_valid()
            form.add_error(None, str(conflict))
            return render(request, "milestones/update.html",
                          {"milestone": conflict.current, "form": form, "conflict": conflict.current}, status=409)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("マイルストーン「%(title)s」を更新しました。") % {"title": milestone.title})
            return redirect("milestones:detail", pk=milestone.pk)
    return render(request, "milestones/update.html", {"milestone": milestone, "form": form})
