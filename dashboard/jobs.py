"""The national comparison export as a background job (jobs/): registered in DashboardConfig.ready.

With a worker, a comparison over many municipalities is built in the background; the job keeps the file for the
person who asked (the same visibility rule as the page: their own access, computed again on the worker).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.models import Job
from jobs.registry import JobFailed, JobOutcome, register
from plans.models import FrameworkEdition
from plans.permissions import access_for

from . import exports
from .compare import compare_municipalities, visible_municipalities_q

COMPARE_EXPORT = "dashboard.compare_export"


def run_compare_export(*, job: Job, progress) -> JobOutcome:
    user = User.objects.filter(pk=job.user_id, is_active=True).first()
    if user is None:
        raise JobFailed(_("依頼したユーザーが無効になっているため、作成しませんでした。"))
    access = access_for(user)
    progress(stage=Job.Stage.BUILD, force=True)
    edition_id = job.parameters.get("edition_id")
    today = timezone.localdate()
    comparison = compare_municipalities(
        municipality_filter=visible_municipalities_q(
            municipality_id=access.municipality_id, compare_scope=access.compare_scope, is_superuser=access.is_superuser
        ),
        today=today,
        prefecture=job.parameters.get("pref") or None,
        edition=FrameworkEdition.objects.filter(pk=edition_id).first() if edition_id else None,
    )
    table = exports.compare_table("compare", _("自治体間の比較"), comparison)
    progress(done=len(table.rows), total=len(table.rows), force=True)
    data, content_type, file_name = exports.export_file(table, fmt=job.parameters.get("fmt", "csv"), as_of=today)
    return JobOutcome(
        result={
            "rows": len(table.rows),
            "message": _("%(rows)s 行の比較表を作成しました。") % {"rows": len(table.rows)},
        },
        file=data,
        file_name=file_name,
        content_type=content_type,
    )


def register_jobs() -> None:
    register(COMPARE_EXPORT, label=gettext_lazy("自治体間の比較のエクスポート"), run=run_compare_export)
