"""Writes to measures: progress reports and KPI actuals. Every service checks the permission itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from plans.permissions import can_change

from .models import Indicator, IndicatorValue, Measure, ProgressUpdate, WorkStatus
from .selectors import latest_progress


def measure_report_progress(*, measure: Measure, user: User, status: str, percent_done: int | None,
                            comment: str, is_internal: bool) -> ProgressUpdate:
    """Append a progress report (status, % done, comment) to a measure. Reports are never edited."""
    if not can_change(user, measure):
        raise PermissionDenied(_("この施策の進捗を報告する権限がありません。担当部署の職員または管理者に依頼してください。"))
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
    update = ProgressUpdate(measure=measure, author=user, status=status, percent_done=percent_done,
                            comment=comment.strip(), is_internal=is_internal)
    update.full_clean()
    update.save()
    return update


def indicator_record_value(*, indicator: Indicator, user: User, value: Decimal, as_of: dt.date, source: str,
                           note: str) -> IndicatorValue:
    """Record a KPI actual. If a current value exists for the same date, this is a correction: the old
    value stays in the history (is_current=False) and the new one `corrects` it."""
    if not can_change(user, indicator):
        raise PermissionDenied(_("この指標の実績を登録する権限がありません。担当部署の職員または管理者に依頼してください。"))
    new = IndicatorValue(indicator=indicator, value=value, as_of=as_of, source=source.strip(), note=note.strip(),
                         recorded_by=user)
    # The "one current value per date" constraint is settled below (a same-date value becomes a correction).
    new.full_clean(exclude=["corrects"], validate_constraints=False)
    try:
        with transaction.atomic():
            old = (IndicatorValue.objects.select_for_update()
                   .filter(indicator=indicator, as_of=as_of, is_current=True).first())
            if old is not None:
                old.is_current = False
                old._history_user = user
                old.save(update_fields=["is_current"])
                new.corrects = old
            new._history_user = user
            new.save()
    except IntegrityError:
        # Another correction of the same date won the race (one current value per date is a constraint).
        raise ValidationError({"as_of": _("同じ日付の実績が同時に登録されました。画面を開き直して確認してください。")})
    return new
