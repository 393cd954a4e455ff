"""The progress page of a job, the list of jobs and a finished job's file. Thin callers of selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .runner import reap_stale
from .selectors import job_for, visible_jobs

REFRESH_SECONDS = 2


def _elapsed(job) -> int | None:
    if job.started_at is None:
        return None
    return int(((job.finished_at or timezone.now()) - job.started_at).total_seconds())


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    reap_stale()
    jobs = list(visible_jobs(user=request.user)[:50])
    return render(request, "jobs/list.html", {"jobs": jobs})


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reap_stale()
    job = job_for(user=request.user, job_id=pk)
    response = render(
        request,
        "jobs/detail.html",
        {
            "job": job,
            "elapsed": _elapsed(job),
            "refresh": None if job.finished else REFRESH_SECONDS,
            "next_url": job.result.get("next_url", "") if job.finished else "",
            "has_file": job.state == job.State.SUCCEEDED and bool(job.result_file_name),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_for(user=request.user, job_id=pk)
    if job.state != job.State.SUCCEEDED or not job.result_file_name:
        from django.http import Http404

        raise Http404
    data = type(job).objects.values_list("result_file", flat=True).get(pk=job.pk)
    response = HttpResponse(bytes(data), content_type=job.result_content_type or "application/octet-stream")
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(job.result_file_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
