"""Starting a job: inline in the embedded default (no broker), on a Celery worker otherwise."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from plans.audit import client_ip
from plans.models import Municipality

from .models import Job
from .registry import kind

logger = logging.getLogger(__name__)


def runs_inline() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def start_job(
    *,
    kind_name: str,
    municipality: Municipality | None,
    user: User | None,
    parameters: dict | None = None,
    input_file: bytes | None = None,
    request: HttpRequest | None = None,
) -> Job:
    """Record the job and run it: now (inline) or after the commit on a worker. Returns the job as it stands."""
    if kind(kind_name) is None:
        raise ValueError(f"Unknown job kind: {kind_name}")
    job = Job(
        kind=kind_name,
        municipality=municipality,
        user=user if user and user.is_authenticated else None,
        parameters=parameters or {},
        input_file=input_file,
        language=translation.get_language() or "",
        ip_address=(client_ip(request) or None) if request is not None else None,
    )
    job.full_clean(exclude=["input_file", "result_file"])
    job.save()
    from .tasks import run_job

    if runs_inline():
        run_job.apply(args=(job.pk,))
        job.refresh_from_db()
        return job

    def enqueue() -> None:
        try:
            run_job.delay(job.pk)
        except Exception as exc:  # broker down: say so on the progress page rather than wait forever
            logger.warning("Could not queue job %s: %s", job.pk, exc)
            Job.objects.filter(pk=job.pk, state=Job.State.QUEUED).update(
                state=Job.State.FAILED,
                finished_at=timezone.now(),
                error=_(
                    "バックグラウンド処理を開始できませんでした（キューに接続できません）。時間をおいてもう一度実行してください。"
                ),
            )

    transaction.on_commit(enqueue)
    return job
