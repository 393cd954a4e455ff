"""Keeps MeasureRollup (one row of milestone counts per measure) and PlanItemRollup (those rows summed per
(plan, national item), read by the national comparison) equal to the live data.

- every Milestone save/delete and ProgressUpdate insert refreshes its measure's row (signals below), and in the
  same transaction the PlanItemRollup rows of the plans concerned (one plan's rows: a few hundred roll-up rows);
- bulk writers (the scale generator, Excel imports using bulk_create) call `refresh_rollup(plan_ids=[…])`;
- `manage.py refresh_progress_rollup [--check]` rebuilds both, or lists rows that differ from the live counts.
The rules behind the numbers stay in measures/progress.py; these tables only store their inputs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone

from .models import OPEN_STATUSES, STARTED_STATUSES, WorkStatus, sql_in

# Sent after a bulk refresh (a bulk write bypassed the model signals). Higher layers that cache what the
# data shows listen to it (dashboard.cache); plan_ids is None for a refresh of every plan.
bulk_refreshed = Signal()

_SELECT = (
    """
SELECT m.id, l.nationalitem_id, m.plan_id,
       COALESCE(SUM(CASE WHEN ms.status IS NOT NULL AND ms.status <> '"""
    + WorkStatus.CANCELLED
    + """' THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN ms.status = '"""
    + WorkStatus.DONE
    + """' THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN ms.status IN """
    + sql_in(STARTED_STATUSES)
    + """ THEN 1 ELSE 0 END), 0),
       MIN(CASE WHEN ms.status IN """
    + sql_in(OPEN_STATUSES)
    + """ THEN ms.due_date END),
       (SELECT pu.percent_done FROM measures_progressupdate pu WHERE pu.measure_id = m.id
         ORDER BY pu.created_at DESC, pu.id DESC LIMIT 1),
       COALESCE((SELECT pu.status FROM measures_progressupdate pu WHERE pu.measure_id = m.id
         ORDER BY pu.created_at DESC, pu.id DESC LIMIT 1), '')
FROM measures_measure m
LEFT JOIN measures_measure_national_items l ON l.measure_id = m.id
LEFT JOIN milestones_milestone ms ON ms.measure_id = m.id
{where}
GROUP BY m.id, l.nationalitem_id, m.plan_id
"""
)

_COLUMNS = (
    "(measure_id, item_id, plan_id, ms_total, ms_done, ms_started, first_open_due, latest_percent, latest_status)"
)


def _where(column: str, ids: list[int] | None) -> tuple[str, list[int]]:
    if ids is None:
        return "", []
    return f"WHERE {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def rebuild_sql(
    *, plan_ids: list[int] | None = None, measure_ids: list[int] | None = None
) -> list[tuple[str, list[int]]]:
    """The statements that rebuild the rows of some plans or measures (all when both are None)."""
    if measure_ids is not None:
        del_where, params = _where("measure_id", measure_ids)
        sel_where, _p = _where("m.id", measure_ids)
    else:
        del_where, params = _where("plan_id", plan_ids)
        sel_where, _p = _where("m.plan_id", plan_ids)
    return [
        (f"DELETE FROM measures_measurerollup {del_where}", params),
        (f"INSERT INTO measures_measurerollup {_COLUMNS} " + _SELECT.format(where=sel_where), params),
    ]


# The (plan, item) sums. "late" is stored for a window of days around `today` (see PlanItemRollup):
# late_after = the latest first_open_due before today, late_until = the earliest on or after today.
_PLAN_ITEM_SELECT = """
SELECT r.plan_id, r.item_id,
       SUM(CASE WHEN r.ms_total > 0 THEN r.ms_done * 100
                WHEN r.latest_percent IS NULL THEN 0
                WHEN r.latest_percent > 100 THEN 100 ELSE r.latest_percent END),
       SUM(CASE WHEN r.ms_total > 0 THEN r.ms_total ELSE 1 END),
       COUNT(*),
       SUM(CASE WHEN r.first_open_due < %s THEN 1 ELSE 0 END),
       MAX(CASE WHEN r.first_open_due < %s THEN r.first_open_due END),
       MIN(CASE WHEN r.first_open_due >= %s THEN r.first_open_due END)
FROM measures_measurerollup r
WHERE r.item_id IS NOT NULL {plans}
GROUP BY r.plan_id, r.item_id
"""
_PLAN_ITEM_COLUMNS = "(plan_id, item_id, num_hundredths, den, measures, late, late_after, late_until)"

# Advisory-lock keys (PostgreSQL): a refresh of some plans holds the shared "all" key and one key per plan; a
# refresh of everything holds the "all" key exclusively. Two refreshes of one plan never interleave their
# DELETE + INSERT (which would duplicate rows or sum a roll-up the other one is rewriting).
_LOCK_ALL, _LOCK_PLAN = 0x44580001, 0x44580002


def plan_item_sql(*, plan_ids: list[int] | None, today: dt.date) -> list[tuple[str, list]]:
    """The statements that rebuild the PlanItemRollup rows of some plans (all when None) from MeasureRollup."""
    if plan_ids is None:
        return [
            ("DELETE FROM measures_planitemrollup", []),
            (
                f"INSERT INTO measures_planitemrollup {_PLAN_ITEM_COLUMNS} " + _PLAN_ITEM_SELECT.format(plans=""),
                [today, today, today],
            ),
        ]
    marks = ", ".join(["%s"] * len(plan_ids))
    return [
        (f"DELETE FROM measures_planitemrollup WHERE plan_id IN ({marks})", list(plan_ids)),
        (
            f"INSERT INTO measures_planitemrollup {_PLAN_ITEM_COLUMNS} "
            + _PLAN_ITEM_SELECT.format(plans=f"AND r.plan_id IN ({marks})"),
            [today, today, today, *plan_ids],
        ),
    ]


def _lock(cursor, plan_ids: list[int] | None) -> None:
    if connection.vendor != "postgresql":  # SQLite: one writer at a time already
        return
    if plan_ids is None:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_LOCK_ALL])
        return
    cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, 0)", [_LOCK_ALL])
    for plan_id in sorted(set(plan_ids)):  # one order everywhere: no deadlock between two refreshes
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_PLAN, plan_id])


def _plans_of_measures(cursor, measure_ids: list[int]) -> list[int]:
    """The plans whose (plan, item) sums change when these measures' rows are rebuilt: their plan now, and the
    plan their stored rows name (a measure moved to another plan, or deleted)."""
    marks = ", ".join(["%s"] * len(measure_ids))
    cursor.execute(
        f"SELECT plan_id FROM measures_measure WHERE id IN ({marks}) "
        f"UNION SELECT plan_id FROM measures_measurerollup WHERE measure_id IN ({marks})",
        [*measure_ids, *measure_ids],
    )
    return sorted({row[0] for row in cursor.fetchall()})


def refresh_rollup(
    *,
    plan_ids: Iterable[int] | None = None,
    measure_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
) -> None:
    """Rebuild the MeasureRollup rows of some measures or plans (all when both are None) and, in the same
    transaction, the PlanItemRollup rows of every plan concerned."""
    plan_ids = None if plan_ids is None else list(plan_ids)
    measure_ids = None if measure_ids is None else list(measure_ids)
    if plan_ids == [] or measure_ids == []:
        return
    today = today or timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        affected = _plans_of_measures(cursor, measure_ids) if measure_ids is not None else plan_ids
        _lock(cursor, affected)
        for sql, params in rebuild_sql(plan_ids=plan_ids, measure_ids=measure_ids):
            cursor.execute(sql, params)
        if affected != []:
            for sql, params in plan_item_sql(plan_ids=affected, today=today):
                cursor.execute(sql, params)
        if measure_ids is None and plan_ids is not None:
            # A bulk write may have deleted plans with raw SQL (no cascade reaches this derived table).
            cursor.execute("DELETE FROM measures_planitemrollup WHERE plan_id NOT IN (SELECT id FROM plans_plan)")
    if measure_ids is None:  # a bulk refresh follows a bulk write: whatever caches the data is stale too
        bulk_refreshed.send(sender=refresh_rollup, plan_ids=plan_ids)


def refresh_plan_items(*, plan_ids: Iterable[int] | None = None, today: dt.date | None = None) -> None:
    """Rebuild only the PlanItemRollup rows of some plans (all when None) from MeasureRollup: after a measure is
    deleted (its MeasureRollup rows went with it), or to move every "late" window to today (nightly)."""
    plan_ids = None if plan_ids is None else list(plan_ids)
    if plan_ids == []:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor, plan_ids)
        for sql, params in plan_item_sql(plan_ids=plan_ids, today=today or timezone.localdate()):
            cursor.execute(sql, params)


def inconsistent_rows(*, plan_ids: list[int] | None = None) -> list[tuple]:
    """Rows where the stored roll-up differs from the live computation (missing and extra rows included).
    An empty list is the proof of consistency."""
    where, params = _where("m.plan_id", plan_ids)
    with connection.cursor() as cursor:
        cursor.execute(_SELECT.format(where=where), params)
        live = {(row[0], row[1]): tuple(_norm(v) for v in row) for row in cursor.fetchall()}
        rwhere, rparams = _where("plan_id", plan_ids)
        cursor.execute(
            "SELECT measure_id, item_id, plan_id, ms_total, ms_done, ms_started, first_open_due, "
            f"latest_percent, latest_status FROM measures_measurerollup {rwhere}",
            rparams,
        )
        stored = {(row[0], row[1]): tuple(_norm(v) for v in row) for row in cursor.fetchall()}
    diffs = []
    for key in live.keys() | stored.keys():
        if live.get(key) != stored.get(key):
            diffs.append((key, stored.get(key), live.get(key)))
    return sorted(diffs, key=lambda d: (d[0][0], d[0][1] or 0))


def inconsistent_plan_items(*, plan_ids: list[int] | None = None) -> list[tuple]:
    """(plan, item) rows whose stored sums differ from the live computation (from the milestones, not from
    MeasureRollup), or whose "late" count is wrong for some day of its window. An empty list is the proof."""
    where, params = _where("m.plan_id", plan_ids)
    live: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, []])
    with connection.cursor() as cursor:
        cursor.execute(_SELECT.format(where=where), params)
        for _m, item_id, plan_id, ms_total, ms_done, _started, first_open_due, latest_percent, _s in cursor:
            if item_id is None:
                continue
            cell = live[(plan_id, item_id)]
            cell[0] += ms_done * 100 if ms_total else min(latest_percent or 0, 100)
            cell[1] += ms_total if ms_total else 1
            cell[2] += 1
            if first_open_due is not None:
                cell[3].append(str(first_open_due))
        rwhere, rparams = _where("plan_id", plan_ids)
        cursor.execute(
            "SELECT plan_id, item_id, num_hundredths, den, measures, late, late_after, late_until "
            f"FROM measures_planitemrollup {rwhere}",
            rparams,
        )
        stored = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
    diffs = []
    for key in live.keys() | stored.keys():
        row, cell = stored.get(key), live.get(key)
        if row is None or cell is None:
            diffs.append((key, row, cell and cell[:3]))
            continue
        num, den, measures, late, after, until = row
        dues = cell[3]
        late_low = sum(1 for d in dues if after is not None and d <= str(after))  # late on the day after `after`
        late_high = sum(1 for d in dues if until is None or d < str(until))  # late on the day `until`
        if (int(num), den, measures) != tuple(cell[:3]) or not late_low == late_high == late:
            diffs.append((key, tuple(row), (*cell[:3], late_low, late_high)))
    return sorted(diffs, key=lambda d: d[0])


def _norm(value):
    return str(value) if value is not None and not isinstance(value, int) else value


# --- keep current on ordinary writes -----------------------------------------------------------------


def _refresh_on_commit(measure_id: int) -> None:
    # After commit: the write's own transaction (and its query count) is untouched, and a rolled-back write
    # leaves the roll-up as it was.
    transaction.on_commit(lambda: refresh_rollup(measure_ids=[measure_id]))


@receiver(post_save, sender="milestones.Milestone", dispatch_uid="rollup.milestone_saved")
@receiver(post_delete, sender="milestones.Milestone", dispatch_uid="rollup.milestone_deleted")
@receiver(post_save, sender="measures.ProgressUpdate", dispatch_uid="rollup.progress_saved")
def _milestone_or_progress_changed(sender, instance, **kwargs) -> None:
    _refresh_on_commit(instance.measure_id)


@receiver(post_save, sender="measures.Measure", dispatch_uid="rollup.measure_saved")
def _measure_saved(sender, instance, created: bool, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    _refresh_on_commit(instance.pk)  # a new measure gets its row; a moved one follows its plan


@receiver(post_delete, sender="measures.Measure", dispatch_uid="rollup.measure_deleted")
def _measure_deleted(sender, instance, **kwargs) -> None:
    # Its MeasureRollup rows were deleted by the cascade; the sums of its plan are recomputed without them.
    plan_id = instance.plan_id
    transaction.on_commit(lambda: refresh_plan_items(plan_ids=[plan_id]))


@receiver(m2m_changed, sender="measures.Measure_national_items", dispatch_uid="rollup.items_changed")
def _items_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # changed from the item's side: refresh every measure touched
        for measure_id in pk_set or ():
            _refresh_on_commit(measure_id)
    else:
        _refresh_on_commit(instance.pk)
