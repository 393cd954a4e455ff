"""Celery tasks: thin callers of milestones.reminders."""

from __future__ import annotations

import datetime as dt
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .reminders import deliver_digest, run_reminders


@shared_task(name="milestones.tasks.send_daily_reminders", acks_late=True)
def send_daily_reminders(run_date: str | None = None) -> dict:
    """The beat task (REMINDER_SEND_TIME, Asia/Tokyo). Safe to run twice: claims are unique rows."""
    day = dt.date.fromisoformat(run_date) if run_date else timezone.localdate()
    report = run_reminders(run_date=day)
    return {"run_date": day.isoformat(), "digests": len(report.digests), "claimed": report.claimed}


@shared_task(
    bind=True,
    name="milestones.tasks.send_digest",
    acks_late=True,
    autoretry_for=(SMTPException, OSError, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=settings.REMINDER_RETRY_BACKOFF_MAX,
    max_retries=settings.REMINDER_SEND_MAX_RETRIES,
)
def send_digest(self, log_ids: list[int], token: str) -> int:
    delivery = deliver_digest(log_ids=log_ids, token=dt.datetime.fromisoformat(token))
    if delivery.busy and not delivery.sent:
        # Another worker holds these rows (or held them and died): look again once its lease may have expired.
        raise self.retry(countdown=settings.REMINDER_CLAIM_LEASE_SECONDS + 1, max_retries=None)
    return delivery.sent
