"""The per-measure roll-up behind the national comparison stays equal to the live data, and the comparison
shows the same progress numbers as the plan's own overview."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from dashboard.compare import compare_municipalities
from dashboard.selectors import Filters, plan_overview
from measures.models import Measure, MeasureRollup, PlanItemRollup, WorkStatus
from measures.progress import Health
from measures.rollup import inconsistent_plan_items, inconsistent_rows, refresh_plan_items, refresh_rollup
from plans.models import NationalItem

from .factories import MeasureFactory, MilestoneFactory, ProgressUpdateFactory, national_item

TODAY = dt.date(2025, 10, 1)


def test_rollup_follows_every_ordinary_write(cast, django_capture_on_commit_callbacks):
    refresh_rollup()  # the cast was created outside a captured commit
    with django_capture_on_commit_callbacks(execute=True):
        measure = MeasureFactory(plan=cast.plan, owner_department=cast.joho, items=[2])
        done = MilestoneFactory(measure=measure, status=WorkStatus.DONE, due_date=dt.date(2025, 5, 1))
        late = MilestoneFactory(measure=measure, status=WorkStatus.IN_PROGRESS, due_date=dt.date(2025, 9, 1))
        ProgressUpdateFactory(measure=measure, percent_done=70)
    assert inconsistent_rows() == []
    row = MeasureRollup.objects.get(measure=measure)  # one row: the measure has one item
    assert (row.ms_total, row.ms_done, row.first_open_due, row.latest_percent) == (2, 1, dt.date(2025, 9, 1), 70)
    with django_capture_on_commit_callbacks(execute=True):
        late.status, late.completed_on = WorkStatus.DONE, dt.date(2025, 9, 2)
        late.save()
        done.delete()
    assert inconsistent_rows() == []
    row = MeasureRollup.objects.get(measure=measure)
    assert (row.ms_total, row.ms_done, row.first_open_due) == (1, 1, None)
    with django_capture_on_commit_callbacks(execute=True):
        measure.national_items.add(national_item(5))
    assert inconsistent_rows() == []
    assert MeasureRollup.objects.filter(measure=measure).count() == 2


def test_bulk_writes_are_caught_by_the_check_and_fixed_by_the_refresh_command(cast):
    refresh_rollup()
    assert inconsistent_rows() == []
    MilestoneFactory._meta.model.objects.filter(measure=cast.measure).update(status=WorkStatus.DONE, completed_on=TODAY)
    assert {d[0][0] for d in inconsistent_rows()} == {cast.measure.id}  # a bulk update bypasses the signals
    with pytest.raises(Exception, match="differ"):
        call_command("refresh_progress_rollup", "--check")
    call_command("refresh_progress_rollup")
    assert inconsistent_rows() == []


def test_comparison_shows_the_same_percent_and_late_count_as_the_overview(cast):
    plan = cast.plan
    m = MeasureFactory(plan=plan, owner_department=cast.shimin, items=[1, 4])
    for status, due in [
        (WorkStatus.DONE, "2025-01-01"),
        (WorkStatus.NOT_STARTED, "2025-08-01"),
        (WorkStatus.CANCELLED, "2025-02-01"),
    ]:
        MilestoneFactory(measure=m, status=status, due_date=dt.date.fromisoformat(due))
    ProgressUpdateFactory(measure=MeasureFactory(plan=plan, owner_department=cast.joho, items=[4]), percent_done=30)
    refresh_rollup()
    overview = plan_overview(plan=plan, filters=Filters(), today=TODAY)
    comparison = compare_municipalities(municipality_filter={"pk": cast.city.pk}, today=TODAY)
    [row] = comparison.rows
    for item, cell in zip(overview.items, row.cells, strict=True):
        assert cell.percent == item.percent, item.label
        assert cell.late == item.by_health.get(Health.LATE, 0), item.label
        assert cell.measures == item.measures


def test_an_excel_import_leaves_the_rollup_consistent(cast):
    from .import_workbooks import realistic_sheets, xlsx
    from .test_import_workbook import _import

    refresh_rollup()
    _import(cast.plan, xlsx(realistic_sheets(30)), cast.admin)  # bulk writes: no per-row signals
    assert inconsistent_rows() == []
    assert MeasureRollup.objects.filter(plan=cast.plan).values("measure").distinct().count() == 31


# --- the per-(plan, item) sums the comparison reads ------------------------------------------------------

_LIVE_GROUP_BY = """
SELECT r.plan_id, r.item_id,
       SUM(CASE WHEN r.ms_total > 0 THEN r.ms_done * 1.0
                WHEN r.latest_percent IS NULL THEN 0.0
                WHEN r.latest_percent > 100 THEN 1.0 ELSE r.latest_percent / 100.0 END),
       SUM(CASE WHEN r.ms_total > 0 THEN r.ms_total ELSE 1 END),
       COUNT(*),
       SUM(CASE WHEN r.first_open_due < %s THEN 1 ELSE 0 END)
FROM measures_measurerollup r WHERE r.item_id IS NOT NULL
GROUP BY r.plan_id, r.item_id
"""


def _live_cells(today: dt.date) -> dict[tuple[int, int], tuple]:
    """The comparison's cells as it computed them before the pre-aggregate (GROUP BY over every measure row)."""
    with connection.cursor() as cursor:
        cursor.execute(_LIVE_GROUP_BY, [today])
        return {(p, i): (round(float(n) * 100), int(d), int(m), int(late)) for p, i, n, d, m, late in cursor}


def _compared_cells(cast, today: dt.date) -> dict[tuple[int, int], tuple]:
    comparison = compare_municipalities(municipality_filter={}, today=today)
    plans = {cast.city.code: cast.plan.id, cast.other_city.code: cast.other_plan.id}
    items = [i.id for i in comparison.items]
    return {
        (plans[row.key], item_id): (round(cell.num * 100), cell.den, cell.measures, cell.late)
        for row in comparison.rows
        for item_id, cell in zip(items, row.cells, strict=True)
        if cell.measures
    }


def _assert_equal_to_live(cast) -> None:
    assert inconsistent_rows() == []
    assert inconsistent_plan_items() == []
    stored = {
        (r.plan_id, r.item_id): (r.num_hundredths, r.den, r.measures)
        for r in PlanItemRollup.objects.filter(plan__in=[cast.plan, cast.other_plan])
    }
    assert stored == {k: v[:3] for k, v in _live_cells(TODAY).items()}
    for day in (TODAY, dt.date(2025, 9, 1), dt.date(2025, 9, 2), dt.date(2024, 1, 1), dt.date(2030, 1, 1)):
        assert _compared_cells(cast, day) == _live_cells(day), day


def test_plan_item_sums_equal_the_live_computation_after_every_kind_of_write(cast, django_capture_on_commit_callbacks):
    refresh_rollup(today=TODAY)
    _assert_equal_to_live(cast)
    with django_capture_on_commit_callbacks(execute=True):
        measure = MeasureFactory(plan=cast.plan, owner_department=cast.joho, items=[1, 2])
        done = MilestoneFactory(measure=measure, status=WorkStatus.DONE, due_date=dt.date(2025, 5, 1))
        late = MilestoneFactory(measure=measure, status=WorkStatus.IN_PROGRESS, due_date=dt.date(2025, 9, 1))
        MilestoneFactory(measure=cast.measure, status=WorkStatus.NOT_STARTED, due_date=dt.date(2026, 3, 1))
        no_milestones = MeasureFactory(plan=cast.plan, owner_department=cast.shimin, items=[2])
    _assert_equal_to_live(cast)
    cell = PlanItemRollup.objects.get(plan=cast.plan, item=national_item(2))
    assert (cell.num_hundredths, cell.den, cell.measures) == (100, 3, 2)

    with django_capture_on_commit_callbacks(execute=True):  # progress updates
        ProgressUpdateFactory(measure=no_milestones, percent_done=70)
        ProgressUpdateFactory(measure=measure, percent_done=10)
    _assert_equal_to_live(cast)
    assert PlanItemRollup.objects.get(plan=cast.plan, item=national_item(2)).num_hundredths == 170

    with django_capture_on_commit_callbacks(execute=True):  # milestone save and delete
        late.status, late.completed_on = WorkStatus.DONE, dt.date(2025, 9, 2)
        late.save()
        done.delete()
    _assert_equal_to_live(cast)

    with django_capture_on_commit_callbacks(execute=True):  # item links added and removed
        measure.national_items.add(national_item(5))
        measure.national_items.remove(national_item(1))
    _assert_equal_to_live(cast)
    assert not PlanItemRollup.objects.filter(plan=cast.plan, item=national_item(5)).exclude(measures=1).exists()

    with django_capture_on_commit_callbacks(execute=True):  # a measure moves to another plan, one is deleted
        measure.plan = cast.other_plan
        measure.code = "MOVED"
        measure.save()
        no_milestones.delete()
    _assert_equal_to_live(cast)
    assert PlanItemRollup.objects.filter(plan=cast.other_plan, item=national_item(5)).exists()
    assert not PlanItemRollup.objects.filter(plan=cast.plan, item=national_item(2)).exists()

    # A bulk write bypasses the signals: the check names the plan's cells, a bulk refresh mends them.
    MilestoneFactory._meta.model.objects.filter(measure__plan=cast.plan).update(
        status=WorkStatus.DONE, completed_on=TODAY
    )
    assert {d[0][0] for d in inconsistent_plan_items()} == {cast.plan.id}
    with pytest.raises(Exception, match="differ"):
        call_command("refresh_progress_rollup", "--check")
    refresh_rollup(plan_ids=[cast.plan.id], today=TODAY)
    _assert_equal_to_live(cast)


def test_a_late_count_outside_its_window_is_counted_live_and_the_nightly_refresh_moves_the_window(cast):
    m = MeasureFactory(plan=cast.plan, owner_department=cast.joho, items=[3])
    MilestoneFactory(measure=m, status=WorkStatus.NOT_STARTED, due_date=dt.date(2025, 10, 15))
    refresh_rollup(today=TODAY)
    cell = PlanItemRollup.objects.get(plan=cast.plan, item=national_item(3))
    # cast.measure's milestone and m's: nothing due before TODAY in this cell, the next due date bounds the window
    assert cell.late_after is None or cell.late_after < TODAY
    assert cell.late_until is not None and cell.late_until >= TODAY
    later = cell.late_until + dt.timedelta(days=1)  # outside the window: the stored count would be wrong
    assert _compared_cells(cast, later) == _live_cells(later)
    assert _compared_cells(cast, later)[(cast.plan.id, national_item(3).id)][3] > cell.late
    PlanItemRollup.objects.filter(pk=cell.pk).update(late_until=None)  # a window claiming too much is caught
    assert [d[0] for d in inconsistent_plan_items()] == [(cast.plan.id, national_item(3).id)]
    refresh_plan_items(today=later)
    assert inconsistent_plan_items() == []
    moved = PlanItemRollup.objects.get(plan=cast.plan, item=national_item(3))
    assert moved.late > cell.late and moved.late_after is not None and moved.late_after < later


def test_rows_of_a_plan_deleted_without_the_orm_are_dropped_by_the_next_bulk_refresh(cast):
    refresh_rollup()
    plan_id = cast.other_plan.id
    assert (
        PlanItemRollup.objects.filter(plan_id=plan_id).exists()
        or not Measure.objects.filter(plan_id=plan_id, national_items__isnull=False).exists()
    )
    # The scale generator deletes plans with raw SQL; the derived table has no database foreign key to trip on.
    PlanItemRollup.objects.create(plan_id=10**9, item=NationalItem.objects.first(), den=1, measures=1)
    assert any(d[0][0] == 10**9 for d in inconsistent_plan_items())
    refresh_rollup(plan_ids=[cast.plan.id])
    assert not PlanItemRollup.objects.filter(plan_id=10**9).exists()
    assert inconsistent_plan_items() == []


def test_the_comparison_reads_the_cells_without_the_per_measure_rollup_while_every_window_holds(cast):
    from django.test.utils import CaptureQueriesContext

    refresh_rollup(today=TODAY)
    with CaptureQueriesContext(connection) as fresh:
        compare_municipalities(municipality_filter={}, today=TODAY)
    assert not [q for q in fresh.captured_queries if "measures_measurerollup" in q["sql"]]
    after_next_due = dt.date(2026, 4, 1)  # cast.milestone is due 2026-03-31: its cells' windows end there
    with CaptureQueriesContext(connection) as stale:
        comparison = compare_municipalities(municipality_filter={}, today=after_next_due)
    assert len(stale.captured_queries) == len(fresh.captured_queries) + 1
    assert [q for q in stale.captured_queries if "measures_measurerollup" in q["sql"]]
    assert _compared_cells(cast, after_next_due) == _live_cells(after_next_due)
    assert sum(cell.late for row in comparison.rows for cell in row.cells) == 2  # cast.measure: items 1 and 3
