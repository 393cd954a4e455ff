"""Synthetic data at the sizes of docs/operations.md (scale), for benchmarks: bulk inserts, no signals, no history rows.

city:     1 municipality, 40 departments, 500 measures, 3,000 milestones, 30,000 progress updates, 1,000 KPIs
national: 1,741 municipalities, 350,000 measures, 1,700,000 milestones
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core.fiscal import fiscal_year
from measures.models import Indicator, IndicatorValue, Measure, MeasureRollup, ProgressUpdate, WorkStatus
from milestones.models import Milestone, ReminderLog
from plans.models import Department, FrameworkEdition, Municipality, NationalItem, Plan
from plans.validators import municipality_check_digit

SCALE_PLAN_CODE = "scale"
SCALE_NAME_PREFIX = "規模試験"


@dataclass(frozen=True)
class Profile:
    municipalities: int
    departments_per_municipality: int
    measures: int
    milestones: int
    progress_updates: int
    indicators: int


PROFILES = {
    "city": Profile(1, 40, 500, 3_000, 30_000, 1_000),
    "national": Profile(1_741, 10, 350_000, 1_700_000, 0, 0),
}


def scale_municipality_codes(count: int) -> list[str]:
    """Valid 団体コード for synthetic municipalities: prefecture 01–47, city numbers 800–997 (the demo
    city uses 999), spread evenly over the prefectures."""
    codes = []
    for i in range(count):
        pref, number = i % 47 + 1, 800 + i // 47
        five = f"{pref:02d}{number:03d}"
        codes.append(five + str(municipality_check_digit(five)))
    return codes


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


STATUS_WEIGHTS = [
    (WorkStatus.DONE, 40),
    (WorkStatus.IN_PROGRESS, 30),
    (WorkStatus.NOT_STARTED, 20),
    (WorkStatus.DELAYED, 8),
    (WorkStatus.CANCELLED, 2),
]


def delete_scale_data() -> None:
    """Remove earlier synthetic data with set-based deletes (an ORM cascade over millions of rows with
    history signals would take hours)."""
    plan_ids = list(
        Plan.objects.filter(code=SCALE_PLAN_CODE, municipality__name__startswith=SCALE_NAME_PREFIX).values_list(
            "id", flat=True
        )
    )
    muni_ids = list(Municipality.objects.filter(name__startswith=SCALE_NAME_PREFIX).values_list("id", flat=True))
    if not muni_ids:
        return
    with transaction.atomic():
        ReminderLog.objects.filter(department__municipality_id__in=muni_ids)._raw_delete(connection.alias)
        IndicatorValue.objects.filter(indicator__plan_id__in=plan_ids)._raw_delete(connection.alias)
        Indicator.objects.filter(plan_id__in=plan_ids)._raw_delete(connection.alias)
        ProgressUpdate.objects.filter(measure__plan_id__in=plan_ids)._raw_delete(connection.alias)
        MeasureRollup.objects.filter(plan_id__in=plan_ids)._raw_delete(connection.alias)  # the progress roll-up
        Milestone.objects.filter(plan_id__in=plan_ids)._raw_delete(connection.alias)
        Measure.national_items.through.objects.filter(measure__plan_id__in=plan_ids)._raw_delete(connection.alias)
        Measure.objects.filter(plan_id__in=plan_ids)._raw_delete(connection.alias)
        Plan.objects.filter(id__in=plan_ids)._raw_delete(connection.alias)
        Department.objects.filter(municipality_id__in=muni_ids)._raw_delete(connection.alias)
        Municipality.objects.filter(id__in=muni_ids).delete()


def generate(
    profile_name: str,
    *,
    seed: int = 20251,
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda msg: None,
    batch: int = 5_000,
) -> dict[str, int]:
    profile = PROFILES[profile_name]
    rng = random.Random(seed)
    today = today or timezone.localdate()
    edition = FrameworkEdition.objects.get(is_default=True)
    items = list(NationalItem.objects.filter(edition=edition).order_by("number"))
    start_fy = fiscal_year(today) - 2
    statuses = [s for s, _w in STATUS_WEIGHTS]
    weights = [w for _s, w in STATUS_WEIGHTS]
    now = timezone.now()

    delete_scale_data()
    codes = scale_municipality_codes(profile.municipalities)
    municipalities = Municipality.objects.bulk_create(
        [Municipality(code=c, name=f"{SCALE_NAME_PREFIX}{c}市") for c in codes], batch_size=batch
    )
    progress(f"municipalities: {len(municipalities)}")
    measures_per_muni = _split(profile.measures, profile.municipalities)
    milestones_per_muni = _split(profile.milestones, profile.municipalities)
    counts = {
        "municipalities": len(municipalities),
        "departments": 0,
        "measures": 0,
        "milestones": 0,
        "progress_updates": 0,
        "indicators": 0,
    }
    chunk = 50  # municipalities per transaction: bounded memory at national scale
    for start in range(0, len(municipalities), chunk):
        with transaction.atomic():
            munis = municipalities[start : start + chunk]
            depts = Department.objects.bulk_create(
                [
                    Department(
                        municipality=m,
                        code=f"D{i:03d}",
                        name=f"第{i + 1}課",
                        email=f"d{i:03d}@{m.code}.example.jp",
                        sort_order=i,
                    )
                    for m in munis
                    for i in range(profile.departments_per_municipality)
                ],
                batch_size=batch,
            )
            plans = Plan.objects.bulk_create(
                [
                    Plan(
                        municipality=m,
                        code=SCALE_PLAN_CODE,
                        title=f"{m.name}DX推進計画",
                        start_fy=start_fy,
                        end_fy=start_fy + 4,
                        edition=edition,
                        status=Plan.Status.APPROVED,
                        vision="規模試験用の計画",
                    )
                    for m in munis
                ],
                batch_size=batch,
            )
            measures, milestones, links = [], [], []
            for offset, plan in enumerate(plans):
                own_depts = depts[
                    offset * profile.departments_per_municipality : (offset + 1) * profile.departments_per_municipality
                ]
                n = measures_per_muni[start + offset]
                for j in range(n):
                    measures.append(
                        Measure(
                            plan=plan,
                            code=f"M{j:04d}",
                            title=f"施策{j + 1}",
                            owner_department=own_depts[j % len(own_depts)],
                            start_fy=start_fy,
                            end_fy=start_fy + 4,
                            sort_order=j,
                        )
                    )
            measures = Measure.objects.bulk_create(measures, batch_size=batch)
            by_plan: dict[int, list[Measure]] = {}
            for measure in measures:
                by_plan.setdefault(measure.plan_id, []).append(measure)
                links.append(
                    Measure.national_items.through(
                        measure_id=measure.id, nationalitem_id=items[measure.id % len(items)].id
                    )
                )
                if measure.id % 3 == 0:
                    links.append(
                        Measure.national_items.through(
                            measure_id=measure.id, nationalitem_id=items[(measure.id + 4) % len(items)].id
                        )
                    )
            Measure.national_items.through.objects.bulk_create(links, batch_size=batch)
            for offset, plan in enumerate(plans):
                plan_measures = by_plan.get(plan.id, [])
                total = milestones_per_muni[start + offset]
                for k in range(total if plan_measures else 0):
                    measure = plan_measures[k % len(plan_measures)]
                    due = today + dt.timedelta(days=rng.randint(-900, 900))
                    status = rng.choices(statuses, weights)[0]
                    if due > today and status == WorkStatus.DONE:
                        status = WorkStatus.IN_PROGRESS
                    milestones.append(
                        Milestone(
                            plan_id=plan.id,
                            measure_id=measure.id,
                            code=f"MS{k:05d}",
                            title=f"マイルストーン{k + 1}",
                            due_date=due,
                            owner_department_id=measure.owner_department_id,
                            status=status,
                            completed_on=due if status == WorkStatus.DONE else None,
                            sort_order=k,
                            kind=Milestone.Kind.GOAL if k % 5 == 4 else Milestone.Kind.INTERIM,
                        )
                    )
            Milestone.objects.bulk_create(milestones, batch_size=batch)
            counts["departments"] += len(depts)
            counts["measures"] += len(measures)
            counts["milestones"] += len(milestones)
            if profile.progress_updates:
                updates = []
                per_measure = _split(profile.progress_updates, len(measures))
                for measure, n in zip(measures, per_measure, strict=True):
                    for u in range(n):
                        updates.append(
                            ProgressUpdate(
                                measure=measure,
                                status=WorkStatus.IN_PROGRESS,
                                percent_done=min(100, u * 2),
                                comment=f"第{u + 1}回報告",
                            )
                        )
                ProgressUpdate.objects.bulk_create(updates, batch_size=batch)
                # created_at is auto_now_add: spread the reports over the past two years afterwards.
                counts["progress_updates"] += len(updates)
            if profile.indicators:
                indicators = [
                    Indicator(
                        plan_id=m.plan_id,
                        measure=m,
                        code=f"K{i:04d}",
                        name=f"指標{i + 1}",
                        unit="件",
                        baseline_value=Decimal(0),
                        baseline_date=dt.date(start_fy, 4, 1),
                        target_value=Decimal(100 + i % 50),
                        target_fy=start_fy + 4,
                    )
                    for i, m in enumerate(measures[i % len(measures)] for i in range(profile.indicators))
                ]
                indicators = Indicator.objects.bulk_create(indicators, batch_size=batch)
                IndicatorValue.objects.bulk_create(
                    [
                        IndicatorValue(
                            indicator=ind, value=Decimal(rng.randint(0, 120)), as_of=today - dt.timedelta(days=30 * q)
                        )
                        for ind in indicators
                        for q in (1, 7)
                    ],
                    batch_size=batch,
                )
                counts["indicators"] += len(indicators)
        progress(
            f"{min(start + chunk, len(municipalities))}/{len(municipalities)} municipalities, "
            f"{counts['milestones']} milestones"
        )
    if profile.progress_updates:
        _spread_progress_dates(now)
    from measures.rollup import refresh_rollup  # bulk inserts skip the signals that keep it current

    refresh_rollup(
        plan_ids=[
            p.id for p in Plan.objects.filter(code=SCALE_PLAN_CODE, municipality__name__startswith=SCALE_NAME_PREFIX)
        ]
    )
    analyze(progress)
    return counts


def analyze(progress: Callable[[str], None] = lambda msg: None) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL's autovacuum would get there minutes later; the
    first benchmarks would otherwise plan with the row counts of an empty database). SQLite: ANALYZE too."""
    progress("ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _spread_progress_dates(now: dt.datetime) -> None:
    """Give synthetic progress updates past dates (created_at is set to now by auto_now_add)."""
    qs = ProgressUpdate.objects.filter(
        measure__plan__code=SCALE_PLAN_CODE, measure__plan__municipality__name__startswith=SCALE_NAME_PREFIX
    )
    batch = []
    for i, update in enumerate(qs.only("id").order_by("id").iterator(chunk_size=5000)):
        update.created_at = now - dt.timedelta(days=(i * 7) % 720, hours=i % 24)
        batch.append(update)
    ProgressUpdate.objects.bulk_update(batch, ["created_at"], batch_size=2000)
