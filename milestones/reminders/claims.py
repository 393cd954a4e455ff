"""Claims: one unique ReminderLog row per (milestone, stage, due date), inserted before anything is sent.

Set-based: a run's new claims go in with one ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` per chunk of
``sql.CHUNK`` rows (all departments together), its stale claims are taken over with one ``UPDATE … RETURNING``
per chunk. The number of statements does not depend on the number of departments.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection, transaction

from ..models import ReminderLog
from .planning import Digest, lease_cutoff
from .sql import chunks, is_postgres, lock_run, rows_source

_TABLE = ReminderLog._meta.db_table


def _key(milestone_id, measure_id, section, object_id, stage) -> tuple:
    """A claim's key within one run, as planned and as RETURNING gives it back. Within a run an object has one
    due date (its current one), so (object, stage) is enough: no date to format for 10⁵ rows."""
    if milestone_id is not None:
        return (milestone_id, stage)
    if measure_id is not None:
        return (-measure_id, stage)  # measures: negative ids, apart from milestones
    return (section, object_id, stage)


def claim(digest: Digest, *, run_date: dt.date, token: dt.datetime, now: dt.datetime) -> list[int]:
    """Claim one digest on its own (its own transaction, under the run lock); return the ids this run owns.
    The run claims all its digests together with `claim_all`."""
    with transaction.atomic():
        lock_run()
        claim_all([digest], run_date=run_date, token=token, now=now)
    return digest.log_ids


def claim_all(digests: list[Digest], *, run_date: dt.date, token: dt.datetime, now: dt.datetime) -> dict[str, int]:
    """Insert every digest's new claims and take over its stale ones; set each digest's ``log_ids`` to the rows
    this run owns. Returns statement counts {"inserts": …, "updates": …}.

    Call it inside the run's transaction, after ``sql.lock_run()``: of several runs at once the first to take
    the lock claims whole digests; the next plans from its committed claims and finds nothing left (the unique
    constraints and ON CONFLICT DO NOTHING stay the guarantee: a run owns only the rows it inserted)."""
    for digest in digests:
        digest.log_ids = []
    statements = {"inserts": 0, "updates": 0}
    owner: dict[tuple, int] = {}  # claim key → index of its digest
    new_rows: list[tuple] = []
    stale: list[tuple[int, int]] = []  # (log id, digest index)
    for number, digest in enumerate(digests):
        escalated = digest.kind == "escalation"
        for ms_id, measure_id, stage, due_date, log_id, item_dept, section, object_id in digest.items:
            if log_id is not None:
                stale.append((log_id, number))
                continue
            key = (ms_id, stage) if ms_id is not None else _key(ms_id, measure_id, section, object_id, stage)
            owner[key] = number
            new_rows.append(
                (
                    ms_id,
                    measure_id,
                    section,
                    object_id,
                    digest.department_id or item_dept,
                    stage,
                    due_date,
                    escalated,
                    number,
                )
            )
    recipients = json.dumps([d.recipients for d in digests], ensure_ascii=False)
    for chunk in chunks(new_rows):
        for log_id, key in _insert(chunk, recipients=recipients, run_date=run_date, token=token):
            digests[owner[key]].log_ids.append(log_id)
        statements["inserts"] += 1
    digest_of = dict(stale)
    for chunk in chunks(stale):
        for log_id in _take_over(chunk, recipients=recipients, run_date=run_date, token=token, now=now):
            digests[digest_of[log_id]].log_ids.append(log_id)
        statements["updates"] += 1
    for digest in digests:
        digest.log_ids.sort()
    return statements


def _insert(rows, *, recipients: str, run_date: dt.date, token: dt.datetime):
    source, params = rows_source(
        [
            ("milestone_id", "bigint"),
            ("measure_id", "bigint"),
            ("section", "text"),
            ("object_id", "bigint"),
            ("department_id", "bigint"),
            ("stage", "text"),
            ("due_date", "date"),
            ("escalated", "boolean"),
            ("digest", "int"),
        ],
        rows,
    )
    get = ReminderLog._meta.get_field
    run_date_db = get("run_date").get_db_prep_save(run_date, connection)
    token_db = get("claimed_at").get_db_prep_save(token, connection)
    if is_postgres():
        select_recipients = "(%s::jsonb) -> v.digest"
        escalated = "v.escalated"
        tail = ""
    else:  # SQLite: "INSERT … SELECT … ON CONFLICT" needs a WHERE to parse
        select_recipients = "json_extract(%s, '$[' || v.digest || ']')"
        escalated = "v.escalated <> 0"
        tail = " WHERE true"
    sql = (
        f"INSERT INTO {_TABLE} (milestone_id, measure_id, section, object_id, department_id, stage, due_date, "
        "run_date, state, recipients, attempts, error, escalated, claimed_at) "
        "SELECT v.milestone_id, v.measure_id, v.section, v.object_id, v.department_id, v.stage, v.due_date, "
        f"%s, %s, {select_recipients}, 0, '', {escalated}, %s FROM ({source}) AS v{tail} "
        "ON CONFLICT DO NOTHING RETURNING id, milestone_id, stage, measure_id, section, object_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_date_db, ReminderLog.State.CLAIMED.value, recipients, token_db, *params])
        returned = cursor.fetchall()
    return [
        (log_id, (ms_id, stage) if ms_id is not None else _key(ms_id, measure_id, section, object_id, stage))
        for log_id, ms_id, stage, measure_id, section, object_id in returned
    ]


def _take_over(rows, *, recipients: str, run_date: dt.date, token: dt.datetime, now: dt.datetime) -> list[int]:
    """Stale claims (their sender died, or their send failed) past the lease: this run's now, in one UPDATE."""
    source, params = rows_source([("id", "bigint"), ("digest", "int")], rows)
    get = ReminderLog._meta.get_field
    prep = [
        get("claimed_at").get_db_prep_save(token, connection),
        get("run_date").get_db_prep_save(run_date, connection),
    ]
    cutoff = get("claimed_at").get_db_prep_save(lease_cutoff(now), connection)
    states = [ReminderLog.State.CLAIMED.value, ReminderLog.State.FAILED.value]
    if is_postgres():
        new_recipients = "(%s::jsonb) -> v.digest"
    else:
        new_recipients = "json_extract(%s, '$[' || v.digest || ']')"
    sql = (
        f"UPDATE {_TABLE} SET claimed_at = %s, run_date = %s, recipients = {new_recipients} "
        f"FROM ({source}) AS v WHERE {_TABLE}.id = v.id AND {_TABLE}.claimed_at < %s "
        f"AND {_TABLE}.state IN (%s, %s) RETURNING {_TABLE}.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*prep, recipients, *params, cutoff, *states])
        return [row[0] for row in cursor.fetchall()]
