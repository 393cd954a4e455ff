from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import add_validation_errors
from milestones.timeline import milestone_timeline
from plans.permissions import can_change, can_view

from .forms import DueDateDecisionForm, DueDateRequestForm, MilestoneUpdateForm
from .models import DueDateChangeRequest, Milestone
from .selectors import milestone_slippage
from .services import (
    DECIDE_REFUSED,
    MilestoneConflict,
    due_date_change_decide,
    due_date_change_request,
    may_decide_due_date,
    milestone_update,
)


def _get_milestone_for_user(request: HttpRequest, pk: int) -> Milestone:
    milestone = get_object_or_404(
        Milestone.objects.select_related(
            "plan",
            "measure__plan__municipality",
            "owner_department",
            "measure__owner_department",
            "updated_by__membership",
        ),
        pk=pk,
    )
    if not can_view(request.user, milestone):
        raise Http404  # another municipality's data: not even its existence is shown
    return milestone


def _get_rw_milestone_for_user(request: HttpRequest, pk: int) -> Milestone:
    milestone = _get_milestone_for_user(request, pk)
    if not can_change(request.user, milestone):
        raise PermissionDenied(
            _(
                "このマイルストーンを更新する権限がありません。担当部署（%(dept)s）の職員または管理者に依頼してください。"
            )
            % {"dept": milestone.owner_department.name}
        )
    return milestone


def _initial(milestone: Milestone) -> dict:
    return {
        "status": milestone.status,
        "completed_on": milestone.completed_on,
        "comment": milestone.comment,
        "version": milestone.version,
    }


@login_required
@require_GET
def milestone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = _get_milestone_for_user(request, pk)
    can_edit = can_change(request.user, milestone)
    slippage = milestone_slippage(milestone=milestone)
    return render(
        request,
        "milestones/detail.html",
        {
            "milestone": milestone,
            "can_edit": can_edit,
            "form": MilestoneUpdateForm(initial=_initial(milestone)) if can_edit else None,
            "slippage": slippage,
            "due_date_form": DueDateRequestForm() if can_edit and milestone.is_open and not slippage.pending else None,
            "timeline": milestone_timeline(milestone=milestone),
        },
    )


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
            milestone_update(
                milestone=milestone,
                user=request.user,
                status=data["status"],
                completed_on=data["completed_on"],
                comment=data["comment"],
                expected_version=data["version"],
            )
        except MilestoneConflict as conflict:
            # Keep what the user typed, show what is there now, and let a deliberate second save go through.
            kept = request.POST.copy()
            kept["version"] = str(conflict.current.version)
            form = MilestoneUpdateForm(kept)
            form.is_valid()
            form.add_error(None, str(conflict))
            return render(
                request,
                "milestones/update.html",
                {"milestone": conflict.current, "form": form, "conflict": conflict.current},
                status=409,
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("マイルストーン「%(title)s」を更新しました。") % {"title": milestone.title})
            return redirect("milestones:detail", pk=milestone.pk)
    return render(request, "milestones/update.html", {"milestone": milestone, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def request_due_date_change(request: HttpRequest, pk: int) -> HttpResponse:
    """期限の変更を申請: the owning department asks the 事務局 for a new due date (with the reason)."""
    milestone = _get_rw_milestone_for_user(request, pk)
    form = DueDateRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            due_date_change_request(
                milestone=milestone, user=request.user, today=timezone.localdate(), **form.cleaned_data
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("期限の変更を申請しました。事務局が承認すると期限が変わります。"))
            return redirect("milestones:detail", pk=milestone.pk)
    return render(
        request,
        "milestones/due_date_request.html",
        {"milestone": milestone, "form": form, "slippage": milestone_slippage(milestone=milestone)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def decide_due_date_change(request: HttpRequest, pk: int) -> HttpResponse:
    """承認 / 却下 of a pending request by the 事務局; back to the page the decision was made on."""
    change = get_object_or_404(
        DueDateChangeRequest.objects.select_related("milestone__plan", "milestone__measure"), pk=pk
    )
    if not can_view(request.user, change.milestone):
        raise Http404
    if not may_decide_due_date(request.user, change.milestone):
        raise PermissionDenied(DECIDE_REFUSED)
    form = DueDateDecisionForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    if not form.is_valid():
        messages.error(request, _("「承認」または「却下」のボタンで判断してください。"))
    else:
        approve = form.cleaned_data["decision"] == "approve"
        try:
            due_date_change_decide(
                change=change,
                user=request.user,
                approve=approve,
                comment=form.cleaned_data["comment"],
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            ms = change.milestone
            messages.success(
                request,
                (
                    _("「%(title)s」の期限を %(date)s に変更しました。")
                    if approve
                    else _("「%(title)s」の期限の変更申請を却下しました。")
                )
                % {"title": ms.title, "date": f"{change.requested_due_date:%Y/%m/%d}"},
            )
    return redirect(back or "milestones:detail", **({} if back else {"pk": change.milestone_id}))
