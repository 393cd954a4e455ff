"""Comparison across municipalities on the national items (prefecture / national viewers).

Reads the per-(plan, item) sums (measures.PlanItemRollup: one row per cell, kept current with the per-measure
roll-up) in ONE SQL statement without a join or a GROUP BY; progress uses the rule of measures/progress.py
(done ÷ non-cancelled milestones, a measure without milestones weighing 1 with its latest %), "late" counts the
measures with an overdue milestone (health 遅延): the stored count when `today` is inside the row's window; the
plans with a cell whose window does not hold `today` get theirs counted from MeasureRollup in a second statement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection

from plans.models import PREFECTURES, FrameworkEdition, Municipality, NationalItem, Plan


@dataclass
class Cell:
    hundredths: int = 0  # the progress numerator × 100, exact (summed over plans without rounding)
    den: int = 0
    measures: int = 0
    late: int = 0

    @property
    def num(self) -> float:
        return self.hundredths / 100

    @property
    def percent(self) -> int | None:
        return round(self.num / self.den * 100) if self.den else None

    def add(self, other: Cell) -> None:
        self.hundredths += other.hundredths
        self.den += other.den
        self.measures += other.measures
        self.late += other.late


@dataclass
class CompareRow:
    key: str  # prefecture code or municipality code
    label: str
    plan_code: str = ""
    municipalities: int = 0
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Comparison:
    items: list[NationalItem]
    rows: list[CompareRow]
    level: str  # "prefecture" (one row per prefecture) or "municipality"
    prefecture: str | None
    municipality_count: int


_SQL = """
SELECT a.plan_id, a.item_id, a.num_hundredths, a.den, a.measures,
       CASE WHEN (a.late_after IS NULL OR a.late_after < %s) AND (a.late_until IS NULL OR %s <= a.late_until)
            THEN a.late END
FROM measures_planitemrollup a
WHERE a.item_id IN ({items}) {plans}
"""

# The late counts of the plans with a cell whose stored window does not hold `today`, counted from the
# per-measure roll-up: an index-only range scan on (plan, item, first_open_due). Never slower than counting every
# cell live, however stale the windows are (none is stale after the nightly refresh, ~1 % a day later).
_LATE_SQL = """
SELECT r.plan_id, r.item_id, COUNT(*) FROM measures_measurerollup r
WHERE r.plan_id IN ({plans}) AND r.item_id IN ({items}) AND r.first_open_due < %s
GROUP BY r.plan_id, r.item_id
"""


def visible_municipalities_q(*, municipality_id: int | None, compare_scope: str, is_superuser: bool) -> dict:
    """The filter of can_compare_municipality as queryset kwargs (the same rule, in SQL)."""
    if is_superuser or compare_scope == "national":
        return {}
    if compare_scope:
        return {"code__startswith": compare_scope}
    return {"pk": municipality_id if municipality_id is not None else -1}


def compare_municipalities(
    *, municipality_filter: dict, today: dt.date, prefecture: str | None = None, edition: FrameworkEdition | None = None
) -> Comparison:
    """Rows per prefecture (national viewers, no prefecture chosen) or per municipality. 4–5 queries, and one more
    when a cell's stored late window does not hold `today`."""
    edition = edition or FrameworkEdition.objects.get(is_default=True)
    items = list(NationalItem.objects.filter(edition=edition).order_by("number"))
    munis = Municipality.objects.filter(**municipality_filter)
    if prefecture:
        munis = munis.filter(code__startswith=prefecture)
    plans = list(
        Plan.objects.filter(municipality__in=munis, status=Plan.Status.APPROVED)
        .order_by("municipality__code", "-start_fy", "-id")
        .values_list("id", "code", "municipality_id", "municipality__code", "municipality__name")
    )
    current: dict[int, tuple] = {}
    for plan in plans:  # the newest approved plan of each municipality
        current.setdefault(plan[2], plan)
    plan_ids = {p[0] for p in current.values()}
    item_index = {i.id: n for n, i in enumerate(items)}
    level = "municipality" if (prefecture or len(current) <= 60) else "prefecture"
    rows: dict[str, CompareRow] = {}
    row_cells: dict[int, list[Cell]] = {}  # plan → the cells of its row, which its numbers are added to
    for _muni_id, (plan_id, plan_code, _m, code, name) in sorted(current.items(), key=lambda kv: kv[1][3]):
        key, label = (code, name) if level == "municipality" else (code[:2], PREFECTURES[int(code[:2]) - 1])
        row = rows.setdefault(
            key,
            CompareRow(
                key=key,
                label=label,
                plan_code=plan_code if level == "municipality" else "",
                cells=[Cell() for _ in items],
            ),
        )
        row.municipalities += 1
        row_cells[plan_id] = row.cells
    if plan_ids and items:
        all_plans = (
            len(plan_ids) == Plan.objects.filter(status=Plan.Status.APPROVED).count()
            and not prefecture
            and not municipality_filter
        )
        plan_sql = "" if all_plans else "AND a.plan_id IN (" + ", ".join(str(int(p)) for p in plan_ids) + ")"
        item_sql = ", ".join(str(int(i)) for i in item_index)
        stale: set[tuple[int, int]] = set()
        with connection.cursor() as cursor:
            cursor.execute(_SQL.format(items=item_sql, plans=plan_sql), [today, today])
            for plan_id, item_id, hundredths, den, measures, late in cursor.fetchall():
                cells = row_cells.get(plan_id)
                if cells is None:  # not the current plan of a municipality shown
                    continue
                cell = cells[item_index[item_id]]
                cell.hundredths += int(hundredths)
                cell.den += int(den)
                cell.measures += int(measures)
                if late is None:
                    stale.add((plan_id, item_id))
                else:
                    cell.late += int(late)
            if stale:  # a second statement only when some window does not hold `today`
                stale_sql = ", ".join(str(int(p)) for p in sorted({p for p, _i in stale}))
                cursor.execute(_LATE_SQL.format(plans=stale_sql, items=item_sql), [today])
                for plan_id, item_id, late in cursor.fetchall():
                    if (plan_id, item_id) in stale:
                        row_cells[plan_id][item_index[item_id]].late += int(late)
    return Comparison(
        items=items, rows=list(rows.values()), level=level, prefecture=prefecture, municipality_count=len(current)
    )
