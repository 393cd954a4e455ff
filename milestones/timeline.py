"""The timeline of everything that touched a measure or a milestone, newest first: progress reports,
milestone changes from the history (before → after, who, when), KPI values and corrections, and imports.
A fixed number of queries, whatever the length of the history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.people import person_label
from measures.models import IndicatorValue, Measure, ProgressUpdate, WorkStatus
from plans.imports import import_run_id_from_reason
from plans.models import ImportRun

from .models import Milestone

# --- timeline -------------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str  # progress / milestone / kpi / import / measure
    title: str
    who: str
    details: list[str] = field(default_factory=list)
    comment: str = ""
    is_internal: bool = False
    is_correction: bool = False
    url_name: str = ""
    url_pk: int | None = None
    import_run_id: int | None = None  # the import that wrote this history row (plans.imports)

    KIND_LABELS = {
        "progress": gettext_lazy("進捗報告"),
        "milestone": gettext_lazy("マイルストーン"),
        "kpi": gettext_lazy("指標の実績"),
        "import": gettext_lazy("インポート"),
        "measure": gettext_lazy("施策"),
    }

    @property
    def kind_label(self) -> str:
        return str(self.KIND_LABELS[self.kind])


_MILESTONE_FIELDS = (
    ("status", gettext_lazy("状況")),
    ("completed_on", gettext_lazy("完了日")),
    ("due_date", gettext_lazy("期限")),
    ("title", gettext_lazy("マイルストーン名")),
)


def _fmt(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    if name == "status":
        return str(WorkStatus(value).label)
    if isinstance(value, dt.date):
        return f"{value:%Y/%m/%d}"
    return str(value)


def _milestone_history_entries(records: list) -> list[TimelineEntry]:
    """History records of milestones (oldest first) → one entry per record, with what changed."""
    entries, previous = [], {}
    for rec in records:
        before = previous.get(rec.id)
        previous[rec.id] = rec
        who = person_label(rec.history_user) if rec.history_user_id else _("システム")
        reason = rec.history_change_reason or ""
        import_run_id = import_run_id_from_reason(reason)
        kind = "import" if import_run_id is not None else "milestone"
        if rec.history_type == "+":
            entry = TimelineEntry(
                at=rec.history_date,
                kind=kind,
                who=who,
                title=_("%(code)s %(title)s を登録") % {"code": rec.code, "title": rec.title},
                details=[
                    f"{_('状況')}: {_fmt('status', rec.status)}",
                    f"{_('期限')}: {_fmt('due_date', rec.due_date)}",
                ],
            )
        elif rec.history_type == "-":
            entry = TimelineEntry(
                at=rec.history_date,
                kind=kind,
                who=who,
                title=_("%(code)s %(title)s を削除") % {"code": rec.code, "title": rec.title},
            )
        else:
            changes = [
                f"{label}: {_fmt(name, getattr(before, name))} → {_fmt(name, getattr(rec, name))}"
                for name, label in _MILESTONE_FIELDS
                if before is not None and getattr(before, name) != getattr(rec, name)
            ]
            comment_changed = before is None or before.comment != rec.comment
            if not changes and not comment_changed and not reason:
                continue  # a save that changed nothing a reader cares about
            entry = TimelineEntry(
                at=rec.history_date,
                kind=kind,
                who=who,
                details=changes,
                title=_("%(code)s %(title)s を更新") % {"code": rec.code, "title": rec.title},
                comment=rec.comment if comment_changed else "",
            )
        if reason:
            entry.details.append(f"{_('理由')}: {reason}")
        entry.url_name, entry.url_pk = "milestones:detail", rec.id
        entry.import_run_id = import_run_id
        entries.append(entry)
    return entries


def _annotate_import_runs(entries: list[TimelineEntry], plan_id: int) -> None:
    """Name the file of each import an entry came from (one query, the plan's own imports only)."""
    ids = {e.import_run_id for e in entries if e.import_run_id is not None}
    if not ids:
        return
    runs = {run.pk: run for run in ImportRun.objects.filter(pk__in=ids, plan_id=plan_id)}
    for entry in entries:
        run = runs.get(entry.import_run_id)
        if run is not None:
            entry.details.append(f"{_('ファイル')}: {run.file_name}")


def measure_timeline(*, measure: Measure, include_internal: bool = True) -> list[TimelineEntry]:
    """Everything that touched a measure, newest first: progress reports, its milestones' history (status
    changes), KPI values and corrections, the measure's own history, imports. 5 queries at most."""
    entries: list[TimelineEntry] = []
    updates = ProgressUpdate.objects.filter(measure=measure).select_related("author__membership", "import_run")
    if not include_internal:
        updates = updates.filter(is_internal=False)
    for u in updates:
        details = [f"{_('状況')}: {u.get_status_display()}"]
        if u.percent_done is not None:
            details.append(f"{_('進捗率')}: {u.percent_done}%")
        if u.import_run_id:
            details.append(f"{_('ファイル')}: {u.import_run.file_name}")
        entries.append(
            TimelineEntry(
                at=u.created_at,
                kind="import" if u.import_run_id else "progress",
                title=_("進捗を報告"),
                who=person_label(u.author) if u.author_id else "",
                details=details,
                comment=u.comment,
                is_internal=u.is_internal,
            )
        )

    ms_records = list(
        Milestone.history.filter(measure_id=measure.pk)
        .select_related("history_user__membership")
        .order_by("history_date", "history_id")
    )
    entries += _milestone_history_entries(ms_records)

    values = IndicatorValue.objects.filter(indicator__measure=measure).select_related(
        "indicator", "recorded_by__membership", "corrects"
    )
    for v in values:
        details = [f"{_('実績日')}: {v.as_of:%Y/%m/%d}", f"{_('実績値')}: {v.value.normalize():f}{v.indicator.unit}"]
        if v.corrects_id:
            details.append(f"{_('訂正前')}: {v.corrects.value.normalize():f}{v.indicator.unit}")
        if v.source:
            details.append(f"{_('出典')}: {v.source}")
        title = (_("%(name)s の実績を訂正") if v.corrects_id else _("%(name)s の実績を登録")) % {
            "name": v.indicator.name
        }
        entries.append(
            TimelineEntry(
                at=v.recorded_at,
                kind="kpi",
                title=title,
                who=person_label(v.recorded_by) if v.recorded_by_id else "",
                details=details,
                comment=v.note,
                is_correction=bool(v.corrects_id),
            )
        )

    m_records = list(measure.history.select_related("history_user__membership").order_by("history_date", "history_id"))
    for rec in m_records:
        reason = rec.history_change_reason or ""
        if rec.history_type != "+" and not reason:
            continue  # routine saves of the measure itself; its meaningful changes carry a reason
        import_run_id = import_run_id_from_reason(reason)
        entries.append(
            TimelineEntry(
                at=rec.history_date,
                kind="import" if import_run_id is not None else "measure",
                import_run_id=import_run_id,
                title=_("施策を登録") if rec.history_type == "+" else _("施策を更新"),
                who=person_label(rec.history_user) if rec.history_user_id else _("システム"),
                details=[f"{_('理由')}: {reason}"] if reason else [],
            )
        )

    _annotate_import_runs(entries, measure.plan_id)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def milestone_timeline(*, milestone: Milestone) -> list[TimelineEntry]:
    """A milestone's history, newest first (2 queries at most)."""
    records = list(milestone.history.select_related("history_user__membership").order_by("history_date", "history_id"))
    entries = _milestone_history_entries(records)
    _annotate_import_runs(entries, milestone.plan_id)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
