"""Reads of the council app: sessions, commitments, what changed between two days, the session briefing.
Each in a fixed number of queries, whatever the length of the history (pinned in tests/test_council.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from dashboard.deadlines import DeadlineRisk, deadline_risks
from dashboard.history import (
    PastMilestone,
    end_of_day,
    first_due_dates,
    latest_versions,
    plan_snapshot,
    plan_started_on,
)
from dashboard.selectors import (
    Filters,
    KpiCard,
    MeasureRow,
    Overview,
    _past_kpis,
    _past_measure_rows,
    plan_overview,
)
from measures.models import ProgressUpdate, WorkStatus
from measures.progress import OPEN
from milestones.models import DueDateChangeRequest
from plans.models import Department, NationalItem, Plan

from .models import Commitment, CouncilSession

# --- sessions -------------------------------------------------------------------------------------------


def sessions_of(*, municipality_id: int) -> list[CouncilSession]:
    return list(CouncilSession.objects.filter(municipality_id=municipality_id).order_by("-starts_on"))


def last_session_before(*, municipality_id: int, day: dt.date) -> CouncilSession | None:
    """The latest session that had closed before `day` ("since the last session" starts at its 閉会日)."""
    return (
        CouncilSession.objects.filter(municipality_id=municipality_id, ends_on__lt=day)
        .order_by("-ends_on", "-id")
        .first()
    )


def previous_session(session: CouncilSession) -> CouncilSession | None:
    return (
        CouncilSession.objects.filter(municipality_id=session.municipality_id, starts_on__lt=session.starts_on)
        .order_by("-starts_on", "-id")
        .first()
    )


# --- what changed between two days ---------------------------------------------------------------------

KIND_LABELS = {
    "completed": _("マイルストーン完了"),
    "newly_overdue": _("新たに期限超過"),
    "due_moved": _("期限の変更"),
    "measure_status": _("施策の状況の変化"),
    "kpi_new": _("KPIの新しい実績"),
    "kpi_grade": _("KPIの評価の変化"),
    "measure_added": _("施策の追加"),
    "measure_dropped": _("施策の削除"),
}
KIND_ORDER = list(KIND_LABELS)


@dataclass
class Change:
    kind: str
    measure_id: int
    measure_code: str
    measure_title: str
    department: str
    item_numbers: list[int]
    subject: str  # the milestone / KPI / measure the change is about
    before: str
    after: str
    note: str = ""  # 当初期限 and the reason of a moved due date, …
    milestone_id: int | None = None

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass
class ChangeGroup:
    number: int | None
    label: str
    departments: list[tuple[str, list[Change]]]

    @property
    def count(self) -> int:
        return sum(len(rows) for _d, rows in self.departments)


@dataclass
class Changes:
    plan: Plan
    since: dt.date
    until: dt.date
    changes: list[Change]
    groups: list[ChangeGroup] = field(default_factory=list)

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        n = defaultdict(int)
        for c in self.changes:
            n[c.kind] += 1
        return [(k, str(KIND_LABELS[k]), n[k]) for k in KIND_ORDER]


def _status(status: str) -> str:
    return str(WorkStatus(status).label)


def _fmt(day: dt.date | None) -> str:
    return f"{day:%Y/%-m/%-d}" if day else ""


def changes_between(*, plan: Plan, since: dt.date, until: dt.date) -> Changes:
    """Everything that changed from the end of `since` to the end of `until` (two snapshots and the first due
    dates: 18 queries, whatever the history)."""
    a = plan_snapshot(plan=plan, day=since)
    b = plan_snapshot(plan=plan, day=until)
    no_filter = Filters()
    rows_a = {r.id: r for r in _past_measure_rows(a, filters=no_filter, kpis=None)}
    kpis_b = _past_kpis(b)
    rows_b = {r.id: r for r in _past_measure_rows(b, filters=no_filter, kpis=kpis_b)}
    kpis_a = {k.id: k for k in _past_kpis(a)}
    moved_ids = [pk for pk, m in b.milestones.items() if pk in a.milestones and a.milestones[pk].due_date != m.due_date]
    first_due = first_due_dates(plan=plan, milestone_ids=moved_ids) if moved_ids else {}
    # The reason the 事務局 approved for a move to that date (a move made in the admin has none).
    reasons = (
        {
            (mid, due): reason
            for mid, due, reason in DueDateChangeRequest.objects.filter(
                milestone_id__in=moved_ids, state=DueDateChangeRequest.State.APPROVED
            ).values_list("milestone_id", "requested_due_date", "reason")
        }
        if moved_ids
        else {}
    )

    def base(row: MeasureRow, kind: str, subject: str, before: str, after: str, **kw) -> Change:
        return Change(
            kind=kind,
            measure_id=row.id,
            measure_code=row.code,
            measure_title=row.title,
            department=row.department,
            item_numbers=row.item_numbers,
            subject=subject,
            before=before,
            after=after,
            **kw,
        )

    out: list[Change] = []
    for pk, m in sorted(b.milestones.items(), key=lambda kv: (kv[1].due_date, kv[1].code)):
        row = rows_b.get(m.measure_id)
        if row is None:
            continue
        old: PastMilestone | None = a.milestones.get(pk)
        label = f"{m.code} {m.title}"
        if m.status == WorkStatus.DONE and (old is None or old.status != WorkStatus.DONE):
            out.append(
                base(
                    row,
                    "completed",
                    label,
                    _status(old.status) if old else _("（未登録）"),
                    _("完了（%(day)s）") % {"day": _fmt(m.completed_on)},
                    milestone_id=pk,
                )
            )
        overdue_b = m.status in OPEN and m.due_date < until
        overdue_a = old is not None and old.status in OPEN and old.due_date < since
        if overdue_b and not overdue_a:
            out.append(
                base(
                    row,
                    "newly_overdue",
                    label,
                    _fmt(old.due_date) if old else "",
                    _("期限 %(day)s・%(status)s") % {"day": _fmt(m.due_date), "status": _status(m.status)},
                    milestone_id=pk,
                )
            )
        if old is not None and old.due_date != m.due_date:
            out.append(
                base(
                    row,
                    "due_moved",
                    label,
                    _fmt(old.due_date),
                    _fmt(m.due_date),
                    note=_("当初期限 %(day)s") % {"day": _fmt(first_due.get(pk))}
                    + (
                        _("（理由: %(reason)s）") % {"reason": reasons[(pk, m.due_date)]}
                        if (pk, m.due_date) in reasons
                        else ""
                    ),
                    milestone_id=pk,
                )
            )
    for pk, row in rows_b.items():
        old_row = rows_a.get(pk)
        if old_row is None:
            out.append(base(row, "measure_added", f"{row.code} {row.title}", "", row.health_label))
        elif old_row.health != row.health:
            out.append(base(row, "measure_status", f"{row.code} {row.title}", old_row.health_label, row.health_label))
    for pk, row in rows_a.items():
        if pk not in rows_b:
            out.append(base(row, "measure_dropped", f"{row.code} {row.title}", row.health_label, ""))
    for k in kpis_b:
        row = rows_b.get(k.measure_id)
        if row is None:
            continue
        old_k: KpiCard | None = kpis_a.get(k.id)
        old_ids = {pk for _d, _v, pk in a.values.get(k.id, [])}
        for day, value, vid in b.values.get(k.id, []):
            if vid not in old_ids:
                out.append(base(row, "kpi_new", k.name, "", f"{_fmt(day)} {value.normalize():f}{k.unit}"))
        if old_k is not None and old_k.grade != k.grade:
            out.append(base(row, "kpi_grade", k.name, old_k.grade or "-", k.grade or "-"))
    changes = Changes(plan=plan, since=since, until=until, changes=out)
    changes.groups = group_changes(out, items=b.item_numbers, plan=plan)
    return changes


def group_changes(changes: list[Change], *, items: dict[int, int], plan: Plan) -> list[ChangeGroup]:
    """By national item (a measure under several items is listed under each), then department."""
    names = dict(NationalItem.objects.filter(edition_id=plan.edition_id).values_list("number", "name"))  # 1
    by_item: dict[int | None, dict[str, list[Change]]] = defaultdict(lambda: defaultdict(list))
    for c in sorted(changes, key=lambda c: (KIND_ORDER.index(c.kind), c.measure_code, c.subject)):
        for n in c.item_numbers or [None]:
            by_item[n][c.department].append(c)
    groups = []
    for n in sorted(by_item, key=lambda n: (n is None, n or 0)):
        label = f"{n}. {names.get(n, '')}" if n is not None else _("（国の取組事項の指定なし）")
        groups.append(ChangeGroup(number=n, label=label, departments=sorted(by_item[n].items())))
    return groups


# --- commitments ---------------------------------------------------------------------------------------


@dataclass
class CommitmentRow:
    id: int
    session: str
    session_id: int
    session_starts_on: dt.date
    questioner: str  # blank in public mode
    answering_official: str
    subject: str
    words: str
    deadline: dt.date | None
    due_label: str
    department: str
    record_url: str
    status: str
    completed_on: dt.date | None
    progress_note: str
    internal_note: str  # blank in public mode
    measures: list[tuple[int, str]]
    overdue: bool

    @property
    def status_label(self) -> str:
        return str(WorkStatus(self.status).label)


def commitment_rows(
    *,
    municipality_id: int,
    today: dt.date,
    public: bool,
    session_id: int | None = None,
    questioner: str | None = None,
    before_session: CouncilSession | None = None,
    as_of: dt.date | None = None,
) -> list[CommitmentRow]:
    """Commitments of a municipality (one session's, one questioner's, or those made before a session), with
    status and overdue flag; as_of: as they stood at the end of that day (3 queries)."""
    if as_of is not None:
        qs = latest_versions(Commitment.history.filter(municipality_id=municipality_id), before=end_of_day(as_of))
        fields = [
            "id",
            "session_id",
            "questioner",
            "answering_official",
            "subject",
            "words",
            "deadline",
            "due_date",
            "due_fy",
            "owner_department_id",
            "record_url",
            "status",
            "completed_on",
            "progress_note",
            "internal_note",
        ]
        raw = list(qs.values(*fields))
    else:
        qs = Commitment.objects.filter(municipality_id=municipality_id)
        raw = list(
            qs.values(
                "id",
                "session_id",
                "questioner",
                "answering_official",
                "subject",
                "words",
                "deadline",
                "due_date",
                "due_fy",
                "owner_department_id",
                "record_url",
                "status",
                "completed_on",
                "progress_note",
                "internal_note",
            )
        )
    sessions = {s.id: s for s in CouncilSession.objects.filter(municipality_id=municipality_id)}
    departments = dict(Department.objects.filter(municipality_id=municipality_id).values_list("id", "name"))
    links: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for cid, mid, code, title in Commitment.measures.through.objects.filter(
        commitment__municipality_id=municipality_id
    ).values_list("commitment_id", "measure_id", "measure__code", "measure__title"):
        links[cid].append((mid, f"{code} {title}"))
    rows = []
    for r in raw:
        s = sessions.get(r["session_id"])
        if s is None:
            continue
        if session_id and r["session_id"] != session_id:
            continue
        if before_session is not None and s.starts_on >= before_session.starts_on:
            continue
        if questioner and r["questioner"] != questioner:
            continue
        deadline = r["deadline"]
        due_label = _fmt(r["due_date"]) if r["due_date"] else (_("%(fy)s年度末") % {"fy": r["due_fy"]})
        rows.append(
            CommitmentRow(
                id=r["id"],
                session=s.name,
                session_id=s.id,
                session_starts_on=s.starts_on,
                questioner="" if public else r["questioner"],
                answering_official=r["answering_official"],
                subject=r["subject"],
                words=r["words"],
                deadline=deadline,
                due_label=due_label,
                department=departments.get(r["owner_department_id"], ""),
                record_url=r["record_url"],
                status=r["status"],
                completed_on=r["completed_on"],
                progress_note=r["progress_note"],
                internal_note="" if public else r["internal_note"],
                measures=links.get(r["id"], []),
                overdue=r["status"] in OPEN and deadline is not None and deadline < today,
            )
        )
    rows.sort(key=lambda c: (-c.session_starts_on.toordinal(), c.deadline or dt.date.max, c.id))
    return rows


# --- the briefing ---------------------------------------------------------------------------------------


@dataclass
class LateItem:
    milestone: PastMilestone
    reason: str  # the measure's latest progress comment (public ones only in public mode)
    reason_date: dt.date | None


@dataclass
class Briefing:
    session: CouncilSession
    previous: CouncilSession | None
    plan: Plan
    day: dt.date  # the numbers are as of the end of this day
    is_past: bool
    overview: Overview
    changes: Changes
    late: list[LateItem]
    risks: list[DeadlineRisk]
    commitments: list[CommitmentRow]
    public: bool

    @property
    def commitments_open(self) -> int:
        return sum(1 for c in self.commitments if c.status in OPEN)

    @property
    def commitments_overdue(self) -> int:
        return sum(1 for c in self.commitments if c.overdue)

    @property
    def risk_count(self) -> int:
        return sum(r.milestone_count for r in self.risks)


def briefing_for(*, plan: Plan, session: CouncilSession, today: dt.date, public: bool) -> Briefing:
    """The briefing of a session: the plan as of the day before it opens (or today, if that is later than
    today), what changed since the previous session closed, what is late and why, national deadlines at risk,
    and the commitments made in earlier sessions."""
    day = min(today, session.starts_on - dt.timedelta(days=1))
    is_past = day < today
    previous = previous_session(session)
    since = previous.ends_on if previous else max(day - dt.timedelta(days=90), _plan_start(plan))
    since = min(max(since, _plan_start(plan)), day)
    overview = plan_overview(plan=plan, filters=Filters(), today=day, as_of=day if is_past else None)
    changes = changes_between(plan=plan, since=since, until=day)
    late = _late_with_reasons(plan=plan, day=day, public=public, overdue=list(overview.overdue))
    risks = deadline_risks(plan=plan, today=day, as_of=day if is_past else None)
    commitments = commitment_rows(
        municipality_id=plan.municipality_id,
        today=day,
        public=public,
        before_session=session,
        as_of=day if is_past else None,
    )
    return Briefing(
        session=session,
        previous=previous,
        plan=plan,
        day=day,
        is_past=is_past,
        overview=overview,
        changes=changes,
        late=late,
        risks=risks,
        commitments=commitments,
        public=public,
    )


def _plan_start(plan: Plan) -> dt.date:
    return plan_started_on(plan)


def _late_with_reasons(*, plan: Plan, day: dt.date, public: bool, overdue: list) -> list[LateItem]:
    """Each overdue milestone with its measure's latest progress comment as of the day (1 query)."""
    measure_ids = {m.measure_id for m in overdue}
    if not measure_ids:
        return []
    reports = ProgressUpdate.objects.filter(measure_id__in=measure_ids, created_at__lt=end_of_day(day)).exclude(
        comment=""
    )
    if public:
        reports = reports.filter(is_internal=False)
    latest = {
        mid: (comment, created)
        for mid, comment, created in (
            reports.annotate(
                _rank=Window(
                    RowNumber(), partition_by=[F("measure_id")], order_by=[F("created_at").desc(), F("id").desc()]
                )
            )
            .filter(_rank=1)
            .values_list("measure_id", "comment", "created_at")
        )
    }
    out = []
    for m in overdue:
        comment, created = latest.get(m.measure_id, ("", None))
        out.append(LateItem(milestone=m, reason=comment, reason_date=created.date() if created else None))
    return out
