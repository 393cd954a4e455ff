"""Admin pages for the plan workbook: upload → preview → confirm (each a background job, jobs/), template and
export downloads.

Wired into PlanAdmin.get_urls (plans/admin.py), so they sit behind admin_site.admin_view (staff login).
Only admins of the plan's municipality may use them (plans.permissions).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.models import Job
from jobs.services import runs_inline, start_job
from measures.models import Measure
from milestones.models import Milestone
from plans import audit
from plans.imports import import_change_reason
from plans.models import ImportRun, Plan
from plans.permissions import access_for

from . import jobs as import_jobs
from . import services
from .reading import ImportFileError, check_size, max_bytes, max_rows

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WorkbookUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excelブック（.xlsx）またはCSV"),
        error_messages={
            "empty": gettext_lazy("ファイルが空です。"),
            "required": gettext_lazy("取り込むファイルを選んでください。"),
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc))
        return upload


def plan_for_admin(request: HttpRequest, plan_id: int) -> Plan:
    """The plan, if the user is an admin of its municipality: 404 for another city's plan, 403 for non-admins."""
    access = access_for(request.user)
    plan = get_object_or_404(Plan.objects.select_related("municipality", "edition"), pk=plan_id)
    if not access.is_superuser and plan.municipality_id != access.municipality_id:
        raise Http404
    if not access.is_admin:
        raise PermissionDenied
    return plan


def _context(site: AdminSite, request: HttpRequest, plan: Plan, **extra) -> dict:
    return {
        **site.each_context(request),
        "opts": Plan._meta,
        "original": plan,
        "plan": plan,
        "title": _("Excelから取込: %(plan)s") % {"plan": plan.title},
        "max_mb": max_bytes() // (1024 * 1024),
        "max_rows": max_rows(),
        **extra,
    }


def _download(data: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{file_name}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    if request.method not in methods:
        return HttpResponseNotAllowed(methods)
    return None


def _job_page(job) -> HttpResponse:
    return redirect(reverse("jobs:detail", args=[job.pk]))


def import_upload(site: AdminSite, request: HttpRequest, plan_id: int) -> HttpResponse:
    """Upload → a preview job (its progress page) → the preview page."""
    plan = plan_for_admin(request, plan_id)
    if refused := _only(request, "GET", "POST"):
        return refused
    form = WorkbookUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(max_bytes() + 1)
        job = start_job(
            kind_name=import_jobs.PREVIEW,
            municipality=plan.municipality,
            user=request.user,
            parameters={"plan_id": plan.pk, "file_name": upload.name[:255]},
            input_file=data,
            request=request,
        )
        return _job_page(job)
    recent = ImportRun.objects.filter(plan=plan).select_related("user")[:10]
    return TemplateResponse(
        request, "admin/plans/plan/import_form.html", _context(site, request, plan, form=form, recent=recent)
    )


def import_preview(site: AdminSite, request: HttpRequest, plan_id: int, run_id: int) -> HttpResponse:
    """The preview a job computed (or the errors an apply job found), with the confirm button."""
    plan = plan_for_admin(request, plan_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    run = get_object_or_404(ImportRun, pk=run_id, plan=plan)
    apply_job = (
        Job.objects.filter(
            kind=import_jobs.APPLY, municipality=plan.municipality, parameters__run_id=run.pk, result__has_key="preview"
        )
        .defer("input_file", "result_file")
        .order_by("-pk")
        .first()
    )
    job = apply_job or import_jobs.preview_job_of(run)
    if job is None or "preview" not in job.result:
        raise Http404
    preview = job.result["preview"]
    return TemplateResponse(
        request,
        "admin/plans/plan/import_preview.html",
        _context(site, request, plan, run=run, preview=preview, sheets=preview["sheets"], job=job),
    )


def import_confirm(site: AdminSite, request: HttpRequest, plan_id: int, run_id: int) -> HttpResponse:
    """Confirm → an apply job (its progress page) → the plan."""
    plan = plan_for_admin(request, plan_id)
    if refused := _only(request, "POST"):
        return refused
    run = get_object_or_404(ImportRun, pk=run_id, plan=plan)
    upload_url = reverse(f"{site.name}:plans_plan_import", args=[plan.pk])
    if run.status != ImportRun.Status.PREVIEWED:
        messages.error(
            request,
            _("このプレビューは取り込み済みか、エラーがあるため確定できません。もう一度アップロードしてください。"),
        )
        return redirect(upload_url)
    preview_job = import_jobs.preview_job_of(run)
    if preview_job is None:
        messages.error(request, _("アップロードしたファイルが見つかりません。もう一度アップロードしてください。"))
        return redirect(upload_url)
    job = start_job(
        kind_name=import_jobs.APPLY,
        municipality=plan.municipality,
        user=request.user,
        parameters={"plan_id": plan.pk, "run_id": run.pk, "preview_job_id": preview_job.pk},
        request=request,
    )
    return _job_page(job)


def import_result(site: AdminSite, request: HttpRequest, plan_id: int, run_id: int) -> HttpResponse:
    """After a confirm: what the import changed (counts per sheet), with links to each measure and milestone it
    wrote, the ones already overdue first, and the 事務局's next steps."""
    plan = plan_for_admin(request, plan_id)
    if refused := _only(request, "GET"):
        return refused
    run = get_object_or_404(ImportRun.objects.select_related("user"), pk=run_id, plan=plan)
    reason = import_change_reason(run)
    today = timezone.localdate()
    milestone_ids = set(Milestone.history.filter(history_change_reason=reason).values_list("id", flat=True))
    measure_ids = set(Measure.history.filter(history_change_reason=reason).values_list("id", flat=True))
    milestones = list(
        Milestone.objects.filter(pk__in=milestone_ids)
        .select_related("measure")
        .order_by("due_date", "code")[:RESULT_LIMIT]
    )
    measures = list(Measure.objects.filter(pk__in=measure_ids).order_by("sort_order", "code")[:RESULT_LIMIT])
    overdue = [m for m in milestones if m.is_overdue(today)]
    return TemplateResponse(
        request,
        "admin/plans/plan/import_result.html",
        _context(
            site,
            request,
            plan,
            run=run,
            title=_("取込の結果: %(file)s") % {"file": run.file_name},
            measures=measures,
            measure_total=len(measure_ids),
            milestones=milestones,
            milestone_total=len(milestone_ids),
            overdue=overdue,
            limit=RESULT_LIMIT,
        ),
    )


RESULT_LIMIT = 200


def template_download(site: AdminSite, request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = plan_for_admin(request, plan_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    # The template carries the plan's departments and codes: a download like any other, so it is audited.
    audit.record(
        request=request,
        action="export",
        target=f"{plan} (Excel template)",
        plan=plan.code,
        format="xlsx",
        template=True,
    )
    return _download(services.plan_template(plan=plan), f"{plan.code}-template.xlsx")


def export_download(site: AdminSite, request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = plan_for_admin(request, plan_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    audit.record(request=request, action="export", target=f"{plan} (Excel)", plan=plan.code, format="xlsx")
    if not runs_inline():  # with a worker, a large plan's workbook is built in the background
        return _job_page(
            start_job(
                kind_name=import_jobs.EXPORT,
                municipality=plan.municipality,
                user=request.user,
                parameters={"plan_id": plan.pk},
                request=request,
            )
        )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return _download(services.plan_export(plan=plan), f"{plan.code}-{stamp}.xlsx")
