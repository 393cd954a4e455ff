"""The import and the whole-plan export as background jobs (jobs/): registered in ImportingConfig.ready.

The preview job reads the uploaded file (kept on the job, so any worker can read it), compares it with the plan and
keeps what the preview page shows as JSON on the job; the apply job takes the same file from the preview job and
writes it in one transaction (services.plan_import_apply), or nothing.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.models import Job
from jobs.registry import JobFailed, JobOutcome, register
from plans.models import ImportRun, Plan

from . import services
from .preview import Preview

PREVIEW, APPLY, EXPORT = "importing.preview", "importing.apply", "importing.export"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_KEPT = 1000  # errors listed on the preview page (the counts stay exact)


def preview_as_dict(preview: Preview) -> dict:
    """What the preview page shows, as JSON (the template reads dicts as it reads the objects)."""
    return {
        "file_name": preview.file_name,
        "has_errors": preview.has_errors,
        "has_changes": preview.has_changes,
        "error_count": len(preview.errors),
        "errors": [e.as_dict() for e in preview.errors[:ERRORS_KEPT]],
        "warnings": [w.as_dict() for w in preview.warnings[:ERRORS_KEPT]],  # shown, they do not block
        "sheets": [
            {
                "name": s.name,
                "present": s.present,
                "new": s.new,
                "changed": s.changed,
                "unchanged": s.unchanged,
                "error_count": len(s.errors),
                "diffs": [
                    {
                        "row": d.row,
                        "key": d.key,
                        "action": d.action,
                        "changes": [{"column": c.column, "before": c.before, "after": c.after} for c in d.changes],
                    }
                    for d in s.diffs
                ],
            }
            for s in preview.sheets.values()
            if s.present or s.errors
        ],
    }


def _plan(job: Job) -> Plan:
    plan = Plan.objects.select_related("municipality").filter(pk=job.parameters.get("plan_id")).first()
    if plan is None or plan.municipality_id != job.municipality_id:
        raise JobFailed(_("計画が見つかりません。"))
    return plan


def _request_of(job: Job) -> HttpRequest:
    """Who asked and from where, for the audit row written with the import."""
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = job.ip_address or ""
    request.user = job.user
    return request


def run_preview(*, job: Job, progress) -> JobOutcome:
    plan = _plan(job)
    data = bytes(Job.objects.values_list("input_file", flat=True).get(pk=job.pk) or b"")
    run, preview = services.plan_import_preview(
        plan=plan, data=data, file_name=job.parameters.get("file_name", ""), user=job.user, progress=progress
    )
    progress(stage=Job.Stage.PREVIEW, force=True)
    url = reverse("admin:plans_plan_import_preview", args=[plan.pk, run.pk])
    return JobOutcome(
        result={
            "run_id": run.pk,
            "preview": preview_as_dict(preview),
            "next_url": url,
            "next_label": _("プレビューを見る"),
        }
    )


def preview_job_of(run: ImportRun) -> Job | None:
    return Job.objects.filter(kind=PREVIEW, result__run_id=run.pk).defer("input_file", "result_file").first()


def run_apply(*, job: Job, progress) -> JobOutcome:
    plan = _plan(job)
    run = ImportRun.objects.filter(pk=job.parameters.get("run_id"), plan=plan).first()
    source = Job.objects.filter(pk=job.parameters.get("preview_job_id"), kind=PREVIEW, municipality=plan.municipality)
    data = source.values_list("input_file", flat=True).first()
    if run is None or data is None:
        raise JobFailed(_("アップロードしたファイルが見つかりません。もう一度アップロードしてください。"))
    preview_url = reverse("admin:plans_plan_import_preview", args=[plan.pk, run.pk])
    try:
        preview = services.plan_import_apply(
            run=run, data=bytes(data), user=job.user, request=_request_of(job), progress=progress
        )
    except services.ImportBlocked as blocked:
        raise JobFailed(
            _(
                "プレビューの後にデータが変わったため、エラーがあります。何も取り込んでいません。内容を確認してください。"
            ),
            result={
                "preview": preview_as_dict(blocked.preview),
                "next_url": preview_url,
                "next_label": _("エラーを見る"),
            },
        )
    source.update(input_file=None)  # applied: the upload is no longer needed
    total_new = sum(c["new"] for c in preview.counts.values())
    total_changed = sum(c["changed"] for c in preview.counts.values())
    message = _("「%(file)s」を取り込みました（インポート #%(id)s: 新規 %(new)s 件、変更 %(changed)s 件）。") % {
        "file": run.file_name,
        "id": run.pk,
        "new": total_new,
        "changed": total_changed,
    }
    return JobOutcome(
        result={
            "run_id": run.pk,
            "counts": preview.counts,
            "message": message,
            "next_url": reverse("admin:plans_plan_import_result", args=[plan.pk, run.pk]),
            "next_label": _("取込の結果を見る"),
        }
    )


def run_export(*, job: Job, progress) -> JobOutcome:
    plan = _plan(job)
    progress(stage=Job.Stage.BUILD, force=True)
    data = services.plan_export(plan=plan)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return JobOutcome(
        result={"message": _("ブックを作成しました。")},
        file=data,
        file_name=f"{plan.code}-{stamp}.xlsx",
        content_type=XLSX_TYPE,
    )


def register_jobs() -> None:
    register(PREVIEW, label=gettext_lazy("Excel取込（プレビュー）"), run=run_preview)
    register(APPLY, label=gettext_lazy("Excel取込（反映）"), run=run_apply)
    register(EXPORT, label=gettext_lazy("計画のExcelエクスポート"), run=run_export)
