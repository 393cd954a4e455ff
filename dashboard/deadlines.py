"""National deadlines beside the city's schedule, and the plan read against a later framework edition.

National deadline risk (DESIGN.md §10): a national item of the plan's edition may carry a deadline
(標準化 2025年度末, マイナンバーカード 2022年度末 …). A milestone of a measure under that item is *past the national
deadline* when it is scheduled after it (due date later than the deadline), or when it is still open and the
deadline has already passed. A measure is past it when its period ends after the deadline or one of its
milestones is. Cancelled milestones do not count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from core.fiscal import fiscal_year_bounds
from measures.models import WorkStatus
from measures.progress import OPEN
from milestones.models import Milestone
from plans.models import FrameworkEdition, ItemCrosswalk, NationalItem, Plan

from .history import plan_snapshot
from .selectors import GroupRow, MeasureRow, _group


@dataclass
class LateMilestone:
    pk: int
    code: str
    title: str
    due_date: dt.date
    status: str
    measure_id: int
    measure_code: str
    measure_title: str
    department: str
    days_past: int  # days after the national deadline (0 when it is open and the deadline has passed)

    @property
    def status_label(self) -> str:
        return str(WorkStatus(self.status).label)


@dataclass
class DeadlineRisk:
    number: int
    name: str
    short_name: str
    deadline: dt.date
    note: str
    passed: bool  # the deadline is before the day shown
    milestones: list[LateMilestone] = field(default_factory=list)
    measure_codes: list[str] = field(default_factory=list)  # measures scheduled past the deadline

    @property
    def milestone_count(self) -> int:
        return len(self.milestones)

    @property
    def measure_count(self) -> int:
        return len(self.measure_codes)

    @property
    def at_risk(self) -> bool:
        return bool(self.milestones or self.measure_codes)


_CANCELLED = str(WorkStatus.CANCELLED.value)
_OPEN = frozenset(str(getattr(s, "value", s)) for s in OPEN)  # plain strings: enum comparisons are slow in a loop


def _past_deadline(*, due: dt.date, status: str, deadline: dt.date, today: dt.date) -> bool:
    if status == _CANCELLED:
        return False
    return due > deadline or (status in _OPEN and deadline < today)


def deadline_risks(*, plan: Plan, today: dt.date, as_of: dt.date | None = None) -> list[DeadlineRisk]:
    """Every item of the plan's edition that has a national deadline, with the milestones and measures
    scheduled past it (3 queries; as_of: from the snapshot of that day)."""
    items = list(
        NationalItem.objects.filter(edition_id=plan.edition_id, national_deadline__isnull=False).order_by("number")
    )
    if not items:
        return []
    by_id = {i.id: i for i in items}
    # (item id, milestone fields...) and (item id, measure code, end fy)
    pairs: list[tuple[int, dict]] = []
    measures: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    if as_of is not None:
        snap = plan_snapshot(plan=plan, day=as_of)
        for m in snap.measures.values():
            for item_id in m.item_ids:
                if item_id in by_id:
                    measures[item_id].append((m.code, m.end_fy))
        for ms in snap.milestones.values():
            for item_id in ms.measure.item_ids:
                if item_id in by_id:
                    pairs.append(
                        (
                            item_id,
                            {
                                "id": ms.pk,
                                "code": ms.code,
                                "title": ms.title,
                                "due_date": ms.due_date,
                                "status": ms.status,
                                "measure_id": ms.measure_id,
                                "measure__code": ms.measure.code,
                                "measure__title": ms.measure.title,
                                "owner_department__name": ms.owner_department.name if ms.owner_department else "",
                            },
                        )
                    )
    else:
        through = plan.measures.model.national_items.through
        for item_id, code, end_fy in through.objects.filter(
            measure__plan=plan, nationalitem_id__in=list(by_id)
        ).values_list("nationalitem_id", "measure__code", "measure__end_fy"):
            measures[item_id].append((code, end_fy))
        for r in (
            Milestone.objects.filter(plan=plan, measure__national_items__in=list(by_id))
            .exclude(status=WorkStatus.CANCELLED)
            .values(
                "id",
                "code",
                "title",
                "due_date",
                "status",
                "measure_id",
                "measure__code",
                "measure__title",
                "owner_department__name",
                "measure__national_items",
            )
        ):
            pairs.append((r.pop("measure__national_items"), r))
    risks = {
        i.id: DeadlineRisk(
            number=i.number,
            name=i.name,
            short_name=i.short_name or i.name,
            deadline=i.national_deadline,
            note=i.deadline_note,
            passed=i.national_deadline < today,
        )
        for i in items
    }
    late_measures: dict[int, set[str]] = defaultdict(set)
    for item_id, r in sorted(pairs, key=lambda p: (p[1]["due_date"], p[1]["code"])):
        risk = risks[item_id]
        if _past_deadline(due=r["due_date"], status=r["status"], deadline=risk.deadline, today=today):
            risk.milestones.append(
                LateMilestone(
                    pk=r["id"],
                    code=r["code"],
                    title=r["title"],
                    due_date=r["due_date"],
                    status=r["status"],
                    measure_id=r["measure_id"],
                    measure_code=r["measure__code"],
                    measure_title=r["measure__title"],
                    department=r["owner_department__name"] or "",
                    days_past=max(0, (r["due_date"] - risk.deadline).days),
                )
            )
            late_measures[item_id].add(r["measure__code"])
    for item_id, rows in measures.items():
        for code, end_fy in rows:
            if end_fy and fiscal_year_bounds(end_fy)[1] > risks[item_id].deadline:
                late_measures[item_id].add(code)
    for item_id, codes in late_measures.items():
        risks[item_id].measure_codes = sorted(codes)
    return [risks[i.id] for i in items]


def item_deadline(*, plan: Plan, number: int, today: dt.date, as_of: dt.date | None = None) -> DeadlineRisk | None:
    """The national deadline of one item (its page), or None when it has none."""
    return next((r for r in deadline_risks(plan=plan, today=today, as_of=as_of) if r.number == number), None)


@dataclass
class EditionView:
    edition: FrameworkEdition
    rows: list[GroupRow]  # one per item of the later edition
    mapped_from: dict[int, list[str]]  # later item number → the plan's items mapped onto it
    unmapped: list[GroupRow]  # the plan's items with no counterpart in the later edition


def against_edition(*, rows: list[MeasureRow], plan: Plan, edition: FrameworkEdition) -> EditionView:
    """The plan's measures regrouped under a later edition's items through the crosswalk (3 queries). A measure
    counts once under each later item any of its items maps to."""
    source = {i.id: i for i in NationalItem.objects.filter(edition_id=plan.edition_id)}
    target = list(NationalItem.objects.filter(edition=edition).order_by("number"))
    links = list(
        ItemCrosswalk.objects.filter(from_item__edition_id=plan.edition_id, to_item__edition=edition).values_list(
            "from_item_id", "to_item_id"
        )
    )
    target_numbers = {i.id: i.number for i in target}
    to_of_source: dict[int, set[int]] = defaultdict(set)  # source item number → target numbers
    mapped_from: dict[int, list[str]] = defaultdict(list)
    for from_id, to_id in links:
        s = source[from_id]
        to_of_source[s.number].add(target_numbers[to_id])
        mapped_from[target_numbers[to_id]].append(f"{s.number}. {s.short_name or s.name}")
    by_target: dict[int, list[MeasureRow]] = defaultdict(list)
    by_source: dict[int, list[MeasureRow]] = defaultdict(list)
    for r in rows:
        hit: set[int] = set()
        for n in r.item_numbers:
            hit |= to_of_source.get(n, set())
            by_source[n].append(r)
        for t in hit:
            by_target[t].append(r)
    view_rows = [
        _group(by_target.get(i.number, []), GroupRow(key=i.number, number=i.number, label=i.name, group=i.group))
        for i in target
    ]
    unmapped = [
        _group(by_source.get(s.number, []), GroupRow(key=s.number, number=s.number, label=s.name, group=s.group))
        for s in sorted(source.values(), key=lambda s: s.number)
        if s.number not in to_of_source
    ]
    return EditionView(edition=edition, rows=view_rows, mapped_from=dict(mapped_from), unmapped=unmapped)
