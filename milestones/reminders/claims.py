"""Claims: one unique ReminderLog row per (milestone, stage, due date), inserted before anything is sent."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from plans.models import Department, Municipality

from ..models import ReminderLog
from .planning import Digest, lease_cutoff


def claim(digest: Digest, *, run_date: dt.date, token: dt.datetime, now: dt.datetime) -> list[int]:
    """Insert the digest's new claims and take over its stale ones; return the ids this run owns.

    A claim is two statements (insert the new, take over the stale): two runs interleaving them would each own
    half a digest and send the department two e-mails. So the whole claim runs in one transaction holding the
    recipient's row lock (the department, or the municipality for escalations): a second run waits, then finds
    every item claimed by the first and owns none of them."""
    with transaction.atomic():
        _lock_recipient(digest)
        return _claim(digest, run_date=run_date, token=token, now=now)


def _lock_recipient(digest: Digest) -> None:
    if digest.department_id is not None:
        rows = Department.objects.filter(pk=digest.department_id)
    else:
        rows = Municipality.objects.filter(pk=digest.municipality_id)
    list(rows.select_for_update().values_list("pk", flat=True))  # SELECT … FOR UPDATE (SQLite: one writer anyway)


def _claim(digest: Digest, *, run_date: dt.date, token: dt.datetime, now: dt.datetime) -> list[int]:
    new = [i for i in digest.items if i.log_id is None]
    owned: list[int] = []
    if new:
        fields = [
            ReminderLog._meta.get_field(name)
            for name in (
                "milestone",
                "measure",
                "section",
                "object_id",
                "department",
                "stage",
                "due_date",
                "run_date",
                "state",
                "recipients",
                "attempts",
                "error",
                "escalated",
                "claimed_at",
            )
        ]
        rows = []
        for item in sorted(
            new, key=lambda i: (i.milestone_id or 0, i.measure_id or 0, i.section, i.object_id or 0, i.stage)
        ):
            values = (
                item.milestone_id,
                item.measure_id,
                item.section,
                item.object_id,
                digest.department_id or item.department_id,
                item.stage,
                item.due_date,
                run_date,
                ReminderLog.State.CLAIMED,
                digest.recipients,
                0,
                "",
                digest.kind == "escalation",
                token,
            )
            rows.append([f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)])
        table = connection.ops.quote_name(ReminderLog._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT DO NOTHING RETURNING id"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [v for row in chunk for v in row])
                owned.extend(r[0] for r in cursor.fetchall())
    stale = [i.log_id for i in digest.items if i.log_id is not None]
    if stale:
        taken = ReminderLog.objects.filter(
            id__in=stale,
            claimed_at__lt=lease_cutoff(now),
            state__in=[ReminderLog.State.CLAIMED, ReminderLog.State.FAILED],
        ).update(claimed_at=token, recipients=digest.recipients, run_date=run_date)
        if taken:
            owned.extend(ReminderLog.objects.filter(id__in=stale, claimed_at=token).values_list("id", flat=True))
    return owned
