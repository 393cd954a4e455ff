"""Reads of the governance app: the 推進体制, meetings with their material, and the agenda builder's proposals.

The agenda builder asks each function of PROPOSERS for proposals; every proposer applies a rule that is
defined elsewhere (measures/progress.py through the dashboard selectors, the reminders' staleness setting,
the national items' deadlines) and only turns its findings into agenda items. A new kind of exception is a new
proposer appended to the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, F, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.fiscal import fiscal_year
from dashboard.selectors import Filters, kpi_cards, measure_rows
from measures.models import Measure, ProgressUpdate
from measures.progress import Health, open_q
from milestones.models import DueDateChangeRequest, Milestone
from plans.models import Plan

from .models import ROLE_ORDER, Action, AgendaItem, BodyMember, BodyRole, Decision, Meeting

DECISIONS_MEASURE_CODE = "HQ-DECISIONS"  # the plan's 「本部会議の決定事項」 measure (actions without a measure)


# --- 推進体制 -------------------------------------------------------------------------------------------


@dataclass
class RoleGroup:
    role: str
    label: str
    members: list[BodyMember]


def body_roster(*, municipality_id: int) -> list[RoleGroup]:
    """The municipality's DX推進本部 by role, in the order of a 推進体制図 (1 query)."""
    members = list(
        BodyMember.objects.filter(municipality_id=municipality_id)
        .select_related("department", "user__membership")
        .order_by("sort_order", "id")
    )
    groups = []
    for role in ROLE_ORDER:
        in_role = [m for m in members if m.role == role]
        if in_role:
            groups.append(RoleGroup(role=role, label=str(BodyRole(role).label), members=in_role))
    return groups


# --- meetings -----------------------------------------------------------------------------------------


def meetings_of(*, municipality_id: int) -> QuerySet:
    return Meeting.objects.filter(municipality_id=municipality_id).select_related("plan").order_by("-held_on", "-id")


def meeting_material(*, meeting_id: int) -> Meeting:
    """A meeting with everything its page and material show (5 queries): attendees, agenda, decisions and
    their actions (the milestones they are tracked as)."""
    actions = Action.objects.select_related("milestone__owner_department", "milestone__measure")
    decisions = Decision.objects.select_related("agenda_item").prefetch_related(Prefetch("actions", queryset=actions))
    return (
        Meeting.objects.select_related("plan", "municipality")
        .prefetch_related(
            Prefetch("attendees", queryset=BodyMember.objects.select_related("department")),
            Prefetch(
                "agenda_items",
                queryset=AgendaItem.objects.select_related("measure", "milestone", "indicator").order_by("order", "id"),
            ),
            Prefetch("decisions", queryset=decisions),
        )
        .get(pk=meeting_id)
    )


def open_actions(
    *, municipality_id: int, before: dt.date | None = None, exclude_meeting_id: int | None = None
) -> QuerySet:
    """Actions whose milestone is still open, oldest meeting first (decided before `before`, if given)."""
    qs = (
        Action.objects.filter(open_q("milestone"), decision__meeting__municipality_id=municipality_id)
        .select_related("decision__meeting", "milestone__owner_department", "milestone__measure")
        .order_by("decision__meeting__held_on", "milestone__due_date", "id")
    )
    if before is not None:
        qs = qs.filter(decision__meeting__held_on__lte=before)
    if exclude_meeting_id is not None:
        qs = qs.exclude(decision__meeting_id=exclude_meeting_id)
    return qs


# --- the agenda builder -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    source: str  # AgendaItem.Source
    key: str  # unique within a meeting: accepting it twice is refused
    title: str
    facts: str
    measure_id: int | None = None
    milestone_id: int | None = None
    indicator_id: int | None = None

    @property
    def source_label(self) -> str:
        return str(AgendaItem.Source(self.source).label)


@dataclass
class ProposalContext:
    meeting: Meeting
    plan: Plan
    on: dt.date  # the meeting date: every rule is applied as of it
    shared: dict = field(default_factory=dict)


def _fmt_date(d: dt.date | None) -> str:
    return f"{d:%Y/%m/%d}" if d else "—"


def propose_open_actions(ctx: ProposalContext) -> list[Proposal]:
    """The open actions of earlier meetings come first on every agenda."""
    out = []
    for action in open_actions(
        municipality_id=ctx.meeting.municipality_id, before=ctx.on, exclude_meeting_id=ctx.meeting.pk
    ):
        ms = action.milestone
        facts = _("%(meeting)s（%(date)s）で決定。担当: %(dept)s、期限: %(due)s、状況: %(status)s") % {
            "meeting": action.decision.meeting.title,
            "date": _fmt_date(action.decision.meeting.held_on),
            "dept": ms.owner_department.name,
            "due": _fmt_date(ms.due_date),
            "status": ms.get_status_display(),
        }
        if ms.is_overdue(ctx.on):
            facts += _("（期限超過 %(days)s日）") % {"days": (ctx.on - ms.due_date).days}
        out.append(
            Proposal(
                source=AgendaItem.Source.OPEN_ACTION,
                key=f"action:{action.pk}",
                title=_("前回までの決定事項: %(title)s") % {"title": ms.title},
                facts=facts,
                measure_id=ms.measure_id,
                milestone_id=ms.pk,
            )
        )
    return out


def _rows(ctx: ProposalContext):
    if "rows" not in ctx.shared:
        ctx.shared["kpis"] = kpi_cards(plan=ctx.plan, filters=Filters(), today=ctx.on)
        ctx.shared["rows"] = [
            r
            for r in measure_rows(plan=ctx.plan, filters=Filters(), today=ctx.on, kpis=ctx.shared["kpis"])
            if r.code != DECISIONS_MEASURE_CODE
        ]
    return ctx.shared["rows"]


def propose_late_measures(ctx: ProposalContext) -> list[Proposal]:
    """Measures whose health is 遅延 (a milestone overdue) by the rule of measures/progress.py."""
    return [
        Proposal(
            source=AgendaItem.Source.LATE_MEASURE,
            key=f"late:{r.id}",
            title=_("遅延: %(code)s %(title)s") % {"code": r.code, "title": r.title},
            facts=_("担当: %(dept)s、進捗率 %(pct)s%%、期限超過のマイルストーン %(n)s件（全%(total)s件）")
            % {"dept": r.department, "pct": r.percent, "n": r.ms_overdue, "total": r.ms_total},
            measure_id=r.id,
        )
        for r in _rows(ctx)
        if r.health == Health.LATE
    ]


def propose_kpis_graded_d(ctx: ProposalContext) -> list[Proposal]:
    """KPIs graded D (below 50 % of the way from baseline to target), graded by measures/progress.py."""
    _rows(ctx)
    out = []
    for k in ctx.shared["kpis"]:
        if k.grade != "D":
            continue
        out.append(
            Proposal(
                source=AgendaItem.Source.KPI_D,
                key=f"kpi:{k.id}",
                title=_("評価D: %(name)s（%(code)s）") % {"name": k.name, "code": k.measure_code},
                facts=_("基準値 %(base)s → 目標値 %(target)s、実績 %(latest)s %(unit)s、達成度 %(pct)s%%")
                % {
                    "base": k.baseline,
                    "target": k.target,
                    "latest": k.latest,
                    "unit": k.unit,
                    "pct": k.achievement_percent,
                },
                measure_id=k.measure_id,
                indicator_id=k.id,
            )
        )
    return out


def propose_stale_measures(ctx: ProposalContext) -> list[Proposal]:
    """Measures with no progress report for REMINDER_STALE_DAYS days (the reminders' staleness setting),
    counted back from the meeting date."""
    days = settings.REMINDER_STALE_DAYS
    if days <= 0:
        return []
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(ctx.on - dt.timedelta(days=days - 1), dt.time.min, tzinfo=tz)
    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    measures = (
        Measure.objects.filter(plan=ctx.plan, created_at__lt=since)
        .exclude(code=DECISIONS_MEASURE_CODE)
        .filter(Q(end_fy__isnull=True) | Q(end_fy__gte=fiscal_year(ctx.on)))
        .exclude(Exists(ProgressUpdate.objects.filter(measure=OuterRef("pk"), created_at__gte=since)))
        .annotate(last_update=Subquery(latest))
        .select_related("owner_department")
        .order_by("sort_order", "code")
    )
    out = []
    for m in measures:
        last = timezone.localtime(m.last_update, tz).date() if m.last_update else None
        facts = _("担当: %(dept)s、最後の進捗報告: %(last)s（%(days)s日以上報告なし）") % {
            "dept": m.owner_department.name,
            "last": _fmt_date(last) if last else _("なし"),
            "days": days,
        }
        out.append(
            Proposal(
                source=AgendaItem.Source.STALE,
                key=f"stale:{m.pk}",
                title=_("報告なし: %(code)s %(title)s") % {"code": m.code, "title": m.title},
                facts=facts,
                measure_id=m.pk,
            )
        )
    return out


def propose_past_national_deadline(ctx: ProposalContext) -> list[Proposal]:
    """Open milestones due after the national deadline of one of their measure's items (same edition)."""
    milestones = (
        Milestone.objects.filter(
            open_q(),
            plan=ctx.plan,
            measure__national_items__edition_id=ctx.plan.edition_id,
            measure__national_items__national_deadline__lt=F("due_date"),
        )
        .annotate(national_deadline=Min("measure__national_items__national_deadline"))
        .select_related("measure", "owner_department")
        .order_by("due_date", "code")
    )
    return [
        Proposal(
            source=AgendaItem.Source.PAST_NATIONAL_DEADLINE,
            key=f"national:{ms.pk}",
            title=_("国の期限後の予定: %(code)s %(title)s") % {"code": ms.code, "title": ms.title},
            facts=_("施策 %(measure)s、担当: %(dept)s、期限 %(due)s（国の期限 %(national)s）")
            % {
                "measure": ms.measure.code,
                "dept": ms.owner_department.name,
                "due": _fmt_date(ms.due_date),
                "national": _fmt_date(ms.national_deadline),
            },
            measure_id=ms.measure_id,
            milestone_id=ms.pk,
        )
        for ms in milestones
    ]


Proposer = Callable[[ProposalContext], list[Proposal]]


# In agenda order: the open actions of earlier meetings first. Append a proposer to add a kind of exception.
def propose_due_date_requests(ctx: ProposalContext) -> list[Proposal]:
    """Due-date change requests still waiting for the 事務局's decision on the meeting date."""
    end_of_day = dt.datetime.combine(ctx.on + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())
    pending = (
        DueDateChangeRequest.objects.filter(
            milestone__plan=ctx.plan, state=DueDateChangeRequest.State.PENDING, requested_at__lt=end_of_day
        )
        .select_related("milestone__measure", "milestone__owner_department")
        .order_by("requested_at", "id")
    )
    return [
        Proposal(
            source=AgendaItem.Source.DUE_CHANGE_REQUEST,
            key=f"due_change:{r.pk}",
            title=_("期限変更の申請: %(code)s %(title)s") % {"code": r.milestone.code, "title": r.milestone.title},
            facts=_("%(dept)s: %(old)s → %(new)s（理由: %(reason)s）")
            % {
                "dept": r.milestone.owner_department.name,
                "old": _fmt_date(r.previous_due_date),
                "new": _fmt_date(r.requested_due_date),
                "reason": r.reason,
            },
            measure_id=r.milestone.measure_id,
            milestone_id=r.milestone_id,
        )
        for r in pending
    ]


def propose_self_assessment_discrepancies(ctx: ProposalContext) -> list[Proposal]:
    """Measures whose department's own assessment disagrees with their schedule (the rule of
    measures/progress.py: 「自己評価と工程に差異」)."""
    return [
        Proposal(
            source=AgendaItem.Source.SELF_ASSESSMENT,
            key=f"self_assessment:{r.id}",
            title=_("自己評価と工程に差異: %(code)s %(title)s") % {"code": r.code, "title": r.title},
            facts="、".join(r.discrepancy.reasons),
            measure_id=r.id,
        )
        for r in _rows(ctx)
        if getattr(r, "discrepancy", None)
    ]


PROPOSERS: list[Proposer] = [
    propose_open_actions,
    propose_late_measures,
    propose_kpis_graded_d,
    propose_stale_measures,
    propose_past_national_deadline,
    propose_due_date_requests,
    propose_self_assessment_discrepancies,
]


def agenda_proposals(*, meeting: Meeting, include_accepted: bool = False) -> list[Proposal]:
    """What the agenda builder proposes for a meeting, as of its date (a fixed number of queries: about 10)."""
    ctx = ProposalContext(meeting=meeting, plan=meeting.plan, on=meeting.held_on)
    proposals: list[Proposal] = []
    for proposer in PROPOSERS:
        proposals.extend(proposer(ctx))
    if include_accepted:
        return proposals
    accepted = set(meeting.agenda_items.exclude(source_key="").values_list("source_key", flat=True))
    return [p for p in proposals if p.key not in accepted]
