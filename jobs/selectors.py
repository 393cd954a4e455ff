"""Which jobs a user may see: an admin all of their municipality's, everyone else their own."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from plans.permissions import access_for

from .models import Job


def visible_jobs(*, user) -> QuerySet[Job]:
    access = access_for(user)
    jobs = Job.objects.select_related("user").defer("input_file", "result_file")
    if access.is_superuser:
        return jobs
    if access.is_admin and access.municipality_id:
        return jobs.filter(municipality_id=access.municipality_id)
    return jobs.filter(user=user, municipality_id=access.municipality_id)


def job_for(*, user, job_id: int) -> Job:
    """The job, or 404 (another city's job, or another person's for a non-admin)."""
    return get_object_or_404(visible_jobs(user=user), pk=job_id)
