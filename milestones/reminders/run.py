"""The one reminder service: the beat task, `manage.py send_reminders` and the admin's 今すぐ送信 call it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from celery import signature
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..business_days import is_business_day
from ..models import ReminderLog
from .claims import claim_all
from .delivery import deliver_digest
from .planning import RunReport, lease_cutoff, no_cyclic_gc, plan_run
from .sql import analyze_log, jit_off, lock_run

logger = logging.getLogger(__name__)

# The send task, addressed by its registered name (milestones.apps imports milestones.tasks at start-up):
# tasks.py calls this module, so this module does not import tasks.py.
SEND_DIGEST_TASK = "milestones.tasks.send_digest"
# A run that claimed this many rows refreshes the log's statistics before sending: with yesterday's (no row in
# state "claimed") PostgreSQL planned each send's take-UPDATE on the state index and spent ~0.1 s per digest
# scanning the run's 74,000 fresh claims (national copy, day 2), where the primary key finds its 30 rows.
ANALYZE_AFTER_CLAIMS = 10_000


def run_reminders(
    *,
    run_date: dt.date,
    dry_run: bool = False,
    inline: bool = False,
    municipality_id: int | None = None,
    progress: Callable[..., None] | None = None,
) -> RunReport:
    """Compute a run's digests, claim them and queue one send task per digest (or send inline).

    Called by the beat task, `manage.py send_reminders` (inline) and the admin's 今すぐ送信.
    Planning and claiming run in one transaction under the run lock (set-based: a few statements whatever the
    number of departments); the sends start after its commit, one digest at a time.
    """
    report = RunReport(run_date=run_date, business_day=is_business_day(run_date), dry_run=dry_run)
    if not report.business_day:
        return report
    with no_cyclic_gc(), transaction.atomic(), jit_off():
        if not dry_run:
            lock_run()  # concurrent runs claim one after the other, each from the claims committed before it
        now = timezone.now()
        digests, to_skip = plan_run(run_date=run_date, municipality_id=municipality_id, now=now)
        report.digests = digests
        if dry_run:
            return report
        if to_skip:
            report.skipped = ReminderLog.objects.filter(
                id__in=to_skip,
                claimed_at__lt=lease_cutoff(now),
                state__in=[ReminderLog.State.CLAIMED, ReminderLog.State.FAILED],
            ).update(state=ReminderLog.State.SKIPPED, error=_("より新しい通知に置き換えられました"))
        token = now
        report.statements = claim_all(digests, run_date=run_date, token=token, now=now)
    report.claimed = sum(len(d.log_ids) for d in digests)
    if report.claimed >= ANALYZE_AFTER_CLAIMS:
        analyze_log()  # the sends' conditional UPDATEs must not be planned from yesterday's statistics
    report.taken_over = sum(1 for d in digests for i in d.items if i.log_id is not None)
    report.digests = [d for d in digests if d.log_ids]
    # The claims are committed: send (or queue) one digest per department, each on its own.
    if progress:
        progress(stage="send", done=0, total=len(report.digests))
    for number, digest in enumerate(report.digests, 1):
        if not _queue(digest.log_ids, token, inline=inline):
            report.failed += 1
        if progress:
            progress(done=number)
    return report


def _queue(log_ids: list[int], token: dt.datetime, *, inline: bool) -> bool:
    """Send now (inline) or queue the send for after the commit. False: the inline send failed."""
    if inline:
        try:
            deliver_digest(log_ids=log_ids, token=token)
        except Exception:  # recorded on the rows; the other departments still get theirs
            logger.exception("A reminder digest could not be sent; the next run will retry it.")
            return False
        return True

    def enqueue() -> None:
        try:
            signature(SEND_DIGEST_TASK, args=(log_ids, token.isoformat())).delay()
        except Exception as exc:  # broker down: the claims stay; the next run (after the lease) takes them
            logger.warning("Could not queue a reminder digest (%s); the next run will send it.", exc)

    transaction.on_commit(enqueue)
    return True
