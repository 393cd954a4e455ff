"""Writes to measures: progress reports and KPI actuals. The services a person's request calls check the
permission themselves; indicator_record_values is the shared KPI write under the form's service and the importer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from plans.permissions import can_change

from .models import Indicator, IndicatorValue, Measure, ProgressUpdate, WorkStatus
from .selectors import latest_progress


def measure_report_progress(
    *, measure: Measure, user: User, status: str, percent_done: int | None, comment: str, is_internal: bool
) -> ProgressUpdate:
    """Append a progress report (status, % done, comment) to a measure. Reports are never edited."""
    if not can_change(user, measure):
        raise PermissionDenied(
            _("この施策の進捗を報告する権限がありません。担当部署の職員または管理者に依頼してください。")
        )
    # Never a silent reset: a blank 状況 or 進捗率 keeps the last report's (a comment-only report changes nothing else).
    last = latest_progress(measure=measure)
    if not status:
        status = last.status if last else WorkStatus.NOT_STARTED
    if percent_done is None and last is not None and status != WorkStatus.DONE:
        percent_done = last.percent_done
    if status == WorkStatus.DONE and percent_done is None:
        percent_done = 100
    if status == WorkStatus.DONE and percent_done != 100:
        raise ValidationError({"percent_done": _("状況が「完了」のときは進捗率を100%にしてください。")})
    update = ProgressUpdate(
        measure=measure,
        author=user,
        status=status,
        percent_done=percent_done,
        comment=comment.strip(),
        is_internal=is_internal,
    )
    update.full_clean()
    update.save()
    return update


@dataclass(frozen=True)
class KpiActual:
    """A KPI actual to record: `value` as of `as_of` for the indicator."""

    indicator_id: int
    value: Decimal
    as_of: dt.date


# The bulk writes below send no model signals: what shows KPI values listens to this instead (dashboard.cache).
# Sent with the ids of the indicators written.
values_recorded = Signal()

_LOCK_CHUNK = 2000  # indicator ids per locking query (SQLite's parameter limit)


def indicator_record_values(
    *,
    actuals: Sequence[KpiActual],
    user: User | None,
    source: str = "",
    note: str = "",
    change_reason: str | None = None,
) -> list[IndicatorValue]:
    """Record KPI actuals: the one home of "a value is never overwritten", for the form and the importer.

    A value for a date that already has a current value is a correction: the old value stays in the history
    (is_current=False) and the new one `corrects` it. One transaction; the current values are locked first,
    and the writes are in bulk with their history rows, so a whole plan's actuals take a fixed number of
    queries. The caller has checked the permission and the values (indicator_record_value for a person's
    entry; the importer, which only a municipality's admins run, has checked each cell).
    """
    if not actuals:
        return []
    indicator_ids = sorted({a.indicator_id for a in actuals})
    dates = {a.as_of for a in actuals}
    with transaction.atomic():
        current: dict[tuple[int, dt.date], IndicatorValue] = {}
        for start in range(0, len(indicator_ids), _LOCK_CHUNK):
            chunk = indicator_ids[start : start + _LOCK_CHUNK]
            for old in IndicatorValue.objects.select_for_update().filter(
                indicator_id__in=chunk, as_of__in=dates, is_current=True
            ):
                current[(old.indicator_id, old.as_of)] = old
        superseded, new_values = [], []
        for actual in actuals:
            old = current.pop((actual.indicator_id, actual.as_of), None)
            if old is not None:
                old.is_current = False
                superseded.append(old)
            new_values.append(
                IndicatorValue(
                    indicator_id=actual.indicator_id,
                    value=actual.value,
                    as_of=actual.as_of,
                    source=source,
                    note=note,
                    recorded_by=user,
                    corrects=old,
                )
            )
        if superseded:
            bulk_update_with_history(
                superseded, IndicatorValue, ["is_current"], default_user=user, default_change_reason=change_reason
            )
        new_values = bulk_create_with_history(
            new_values, IndicatorValue, default_user=user, default_change_reason=change_reason
        )
    values_recorded.send(sender=IndicatorValue, indicator_ids=indicator_ids)
    return new_values


def indicator_record_value(
    *, indicator: Indicator, user: User, value: Decimal, as_of: dt.date, source: str, note: str
) -> IndicatorValue:
    """Record a person's KPI actual (the form). If a current value exists for the same date, this is a
    correction: the old value stays in the history (is_current=False) and the new one `corrects` it
    (indicator_record_values)."""
    if not can_change(user, indicator):
        raise PermissionDenied(
            _("この指標の実績を登録する権限がありません。担当部署の職員または管理者に依頼してください。")
        )
    new = IndicatorValue(
        indicator=indicator, value=value, as_of=as_of, source=source.strip(), note=note.strip(), recorded_by=user
    )
    # The "one current value per date" constraint is settled by indicator_record_values (a same-date value
    # becomes a correction).
    new.full_clean(exclude=["corrects"], validate_constraints=False)
    try:
        with transaction.atomic():
            (recorded,) = indicator_record_values(
                actuals=[KpiActual(indicator_id=indicator.pk, value=new.value, as_of=new.as_of)],
                user=user,
                source=new.source,
                note=new.note,
            )
    except IntegrityError:
        # Another correction of the same date won the race (one current value per date is a constraint).
        raise ValidationError({"as_of": _("同じ日付の実績が同時に登録されました。画面を開き直して確認してください。")})
    return recorded
