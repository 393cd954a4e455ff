"""Keeps MeasureRollup (one row of milestone counts per measure) equal to the live data.

- every Milestone save/delete and ProgressUpdate insert refreshes its measure's row (signals below);
- bulk writers (the scale generator, Excel imports using bulk_create) call `refresh_rollup(plan_ids=[…])`;
- `manage.py refresh_progress_rollup [--check]` rebuilds it, or lists rows that differ from the live counts.
The rules behind the numbers stay in measures/progress.py; this table only stores their inputs.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal, receiver

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


def refresh_rollup(*, plan_ids: Iterable[int] | None = None, measure_ids: Iterable[int] | None = None) -> None:
    plan_ids = None if plan_ids is None else list(plan_ids)
    measure_ids = None if measure_ids is None else list(measure_ids)
    if plan_ids == [] or measure_ids == []:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in rebuild_sql(plan_ids=plan_ids, measure_ids=measure_ids):
            cursor.execute(sql, params)
    if measure_ids is None:  # a bulk refresh follows a bulk write: whatever caches the data is stale too
        bulk_refreshed.send(sender=refresh_rollup, plan_ids=plan_ids)


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


@receiver(m2m_changed, sender="measures.Measure_national_items", dispatch_uid="rollup.items_changed")
def _items_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # changed from the item's side: refresh every measure touched
        for measure_id in pk_set or ():
            _refresh_on_commit(measure_id)
    else:
        _refresh_on_commit(instance.pk)
