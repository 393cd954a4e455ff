"""The per-measure roll-up behind the national comparison stays equal to the live data, and the comparison
shows the same progress numbers as the plan's own overview."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from dashboard.compare import compare_municipalities
from dashboard.selectors import Filters, plan_overview
from measures.models import MeasureRollup, WorkStatus
from measures.progress import Health
from measures.rollup import inconsistent_rows, refresh_rollup

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
