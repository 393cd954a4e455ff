"""The admin's 今すぐ送信 as a background job (jobs/): registered in MilestonesConfig.ready."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.models import Job
from jobs.registry import JobFailed, register

from .reminders import run_reminders

SEND_NOW = "milestones.send_now"


def run_send_now(*, job: Job, progress) -> dict:
    progress(stage=Job.Stage.SEND, force=True)
    run_date = dt.date.fromisoformat(job.parameters["run_date"])
    try:
        report = run_reminders(
            run_date=run_date, municipality_id=job.parameters.get("municipality_id"), progress=progress
        )
    except Exception as exc:  # the mail server refused: the claims stay and the next run retries
        raise JobFailed(_("送信に失敗しました（次回の実行で再送します）: %(error)s") % {"error": exc}) from exc
    count = len(report.digests)
    progress(done=count, total=count, force=True)
    return {
        "digests": count,
        "message": _("%(count)s通の通知を送信しました（送信待ちを含む）。") % {"count": count},
        "next_url": "",
        "next_label": "",
    }


def register_jobs() -> None:
    register(SEND_NOW, label=gettext_lazy("期限通知の今すぐ送信"), run=run_send_now)
