"""Runs one job: marks it running, calls its registered function with a progress callback, records the outcome.

A job is run at most once: a redelivered task (its worker died) finds the job no longer queued and only checks
whether the dead run must be marked failed. While a job runs, a heartbeat (a thread in a worker, the progress
calls inline) keeps `heartbeat_at` fresh; a running job whose heartbeat is older than JOBS_LEASE_SECONDS belongs to
a worker that died, and `reap_stale` marks it failed. The import's write is one transaction, so a dead worker
leaves nothing half-written.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Job
from .registry import JobFailed, JobOutcome, kind

logger = logging.getLogger(__name__)

try:  # a Celery soft time limit (prefork pool) raises this inside the task
    from celery.exceptions import SoftTimeLimitExceeded
except ImportError:  # pragma: no cover
    SoftTimeLimitExceeded = TimeoutError


class JobTimeLimit(Exception):
    """The job ran past JOBS_SOFT_TIME_LIMIT (checked at each progress report)."""


def soft_time_limit() -> int:
    return int(getattr(settings, "JOBS_SOFT_TIME_LIMIT", 600))


def lease_seconds() -> int:
    return int(getattr(settings, "JOBS_LEASE_SECONDS", 60))


def time_limit_message() -> str:
    return _(
        "時間の上限（%(seconds)s秒）を超えたため中断しました。何も書き込まれていません。"
        "ファイルを分けるか、事務局に相談してください。"
    ) % {"seconds": soft_time_limit()}


def worker_lost_message() -> str:
    return _(
        "処理していたワーカーが応答しなくなったため中断しました。何も書き込まれていません。もう一度実行してください。"
    )


class Progress:
    """The callback a job function reports through: `progress(stage=..., done=..., total=...)`.

    Writes are throttled (at most one per JOBS_PROGRESS_INTERVAL seconds, plus every stage change); each call
    also checks the soft time limit.
    """

    def __init__(self, job: Job, *, started: float | None = None):
        self.job = job
        self.started = started if started is not None else time.monotonic()
        self.interval = float(getattr(settings, "JOBS_PROGRESS_INTERVAL", 0.5))
        self._last_write = 0.0
        self.writes = 0

    def __call__(
        self, *, stage: str | None = None, done: int | None = None, total: int | None = None, force: bool = False
    ) -> None:
        now = time.monotonic()
        if now - self.started > soft_time_limit():
            raise JobTimeLimit()
        changed_stage = stage is not None and stage != self.job.stage
        if stage is not None:
            self.job.stage = stage
        if total is not None:
            self.job.total = max(0, total)
        if done is not None:
            self.job.done = max(0, min(done, self.job.total) if self.job.total else done)
        if changed_stage or force or now - self._last_write >= self.interval:
            self._last_write = now
            self.writes += 1
            Job.objects.filter(pk=self.job.pk).update(
                stage=self.job.stage, done=self.job.done, total=self.job.total, heartbeat_at=timezone.now()
            )


@contextmanager
def _heartbeat(job: Job):
    """In a worker, a thread touches heartbeat_at every JOBS_HEARTBEAT_SECONDS while the job runs, so a long step
    without progress reports is not taken for a dead worker. Inline runs need none (the request is the run)."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        yield
        return
    stop = threading.Event()
    every = float(getattr(settings, "JOBS_HEARTBEAT_SECONDS", 10))

    def beat() -> None:
        try:
            while not stop.wait(every):
                Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(heartbeat_at=timezone.now())
        except Exception:  # the database went away: the lease will run out and the job be marked failed
            logger.exception("Job heartbeat stopped")
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"job-{job.pk}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 5)


def reap_stale(*, now=None) -> int:
    """Mark failed the running jobs whose worker stopped answering (and queued ones nobody ever started)."""
    now = now or timezone.now()
    lease = timezone.timedelta(seconds=lease_seconds())
    queued_max = timezone.timedelta(seconds=int(getattr(settings, "JOBS_QUEUED_MAX_SECONDS", 24 * 60 * 60)))
    dead = Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=now - lease).update(
        state=Job.State.FAILED, finished_at=now, error=worker_lost_message()
    )
    never = Job.objects.filter(state=Job.State.QUEUED, created_at__lt=now - queued_max).update(
        state=Job.State.FAILED,
        finished_at=now,
        error=_("バックグラウンド処理が開始されませんでした。時間をおいてもう一度実行してください。"),
    )
    # Uploads and result files are kept for a day (an unconfirmed preview's upload, an export nobody fetched).
    keep = timezone.timedelta(seconds=int(getattr(settings, "JOBS_KEEP_FILES_SECONDS", 24 * 60 * 60)))
    Job.objects.filter(created_at__lt=now - keep, input_file__isnull=False).update(input_file=None)
    Job.objects.filter(finished_at__lt=now - keep, result_file__isnull=False).update(
        result_file=None, result_file_name=""
    )
    return dead + never


def _finish(job: Job, **fields) -> None:
    fields.setdefault("finished_at", timezone.now())
    for name, value in fields.items():
        setattr(job, name, value)
    Job.objects.filter(pk=job.pk).update(**fields)


def execute(job_id: int) -> Job | None:
    """Run the job if it is still queued; otherwise leave it (a duplicate delivery) after reaping dead runs."""
    reap_stale()
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != Job.State.QUEUED:
            return job
        job.state, job.started_at, job.heartbeat_at = Job.State.RUNNING, now, now
        job.save(update_fields=["state", "started_at", "heartbeat_at"])
    registered = kind(job.kind)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        if registered is None:
            _finish(
                job,
                state=Job.State.FAILED,
                error=_("この種類の処理は実行できません（%(kind)s）。") % {"kind": job.kind},
            )
            return job
        progress = Progress(job)
        try:
            with _heartbeat(job):
                outcome = registered.run(job=job, progress=progress)
        except JobFailed as failed:
            _finish(
                job,
                state=Job.State.FAILED,
                error=failed.message,
                result={**job.result, **failed.result},
                done=job.done,
                total=job.total,
                stage=job.stage,
            )
        except (JobTimeLimit, SoftTimeLimitExceeded):
            _finish(job, state=Job.State.FAILED, error=time_limit_message(), stage=job.stage)
        except Exception:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            _finish(
                job,
                state=Job.State.FAILED,
                stage=job.stage,
                error=_(
                    "予期しないエラーで中断しました。何も書き込まれていません。続く場合は管理者に連絡してください。"
                ),
            )
        else:
            if not isinstance(outcome, JobOutcome):
                outcome = JobOutcome(result=outcome or {})
            fields = dict(
                state=Job.State.SUCCEEDED, result=outcome.result, stage=job.stage, done=job.done, total=job.total
            )
            if outcome.file is not None:
                fields.update(
                    result_file=outcome.file,
                    result_file_name=outcome.file_name[:255],
                    result_content_type=outcome.content_type,
                )
            _finish(job, **fields)
    return job
