"""The one Celery task: a thin caller of jobs.runner."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .runner import execute


@shared_task(
    name="jobs.tasks.run_job",
    acks_late=True,
    soft_time_limit=getattr(settings, "JOBS_SOFT_TIME_LIMIT", 600),
    time_limit=getattr(settings, "JOBS_HARD_TIME_LIMIT", 660),
)
def run_job(job_id: int) -> str:
    job = execute(job_id)
    return job.state if job else "missing"
