"""A whole plan imported from one workbook: exact counts, idempotent re-import, in-place edits, history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from importing import services
from measures.models import Indicator, IndicatorValue, Measure
from milestones.models import Milestone
from plans.models import Department, ImportRun, Pillar

from .import_workbooks import realistic_sheets, xlsx


def _import(plan, data, user=None, name="plan.xlsx"):
    return services.plan_import(plan=plan, data=data, file_name=name, user=user)


def test_a_realistic_workbook_imports_with_exact_counts(cast):
    run, preview = _import(cast.plan, xlsx(realistic_sheets(60)), cast.admin)
    assert not preview.errors
    assert preview.counts == {
        "部署": {"new": 3, "changed": 0, "unchanged": 0, "errors": 0},
        "施策": {"new": 60, "changed": 0, "unchanged": 0, "errors": 0},
        "マイルストーン": {"new": 180, "changed": 0, "unchanged": 0, "errors": 0},
        "指標": {"new": 60, "changed": 0, "unchanged": 0, "errors": 0},
    }
    assert Measure.objects.filter(plan=cast.plan).count() == 61  # plus the cast's M01
    assert Milestone.objects.filter(plan=cast.plan).count() == 181
    assert Indicator.objects.filter(plan=cast.plan).count() == 60
    assert IndicatorValue.objects.filter(indicator__plan=cast.plan).count() == 30
    assert Department.objects.filter(municipality=cast.city, code__startswith="KIKAKU").count() == 3
    assert Pillar.objects.filter(plan=cast.plan).count() == 3
    run.refresh_from_db()
    assert run.status == ImportRun.Status.APPLIED and run.user == cast.admin and run.file_name == "plan.xlsx"


def test_the_imported_values_are_parsed_from_japanese_forms(cast):
    _import(cast.plan, xlsx(realistic_sheets(60)))
    s001 = Measure.objects.get(plan=cast.plan, code="S001")
    assert s001.owner_department.code == "JOHO"  # by name 情報政策課
    assert sorted(i.number for i in s001.national_items.all()) == [1, 3]  # "1、3"
    s002 = Measure.objects.get(plan=cast.plan, code="S002")
    assert s002.start_fy == 2025 and s002.end_fy == 2027  # 令和7年度
    assert [i.number for i in s002.national_items.all()] == [5]  # by name テレワークの推進
    s003 = Measure.objects.get(plan=cast.plan, code="S003")
    assert sorted(i.number for i in s003.national_items.all()) == [4, 6]  # "4,6"
    assert s003.owner_department.name == "ＤＸ推進課" and s003.start_fy == 2025  # R7
    s004 = Measure.objects.get(plan=cast.plan, code="S004")
    assert sorted(i.number for i in s004.national_items.all()) == [10, 11]  # name and full-width １１
    assert s004.start_fy == 2025 and s004.budget_thousand_yen is None  # ２０２５
    ms = Milestone.objects.get(plan=cast.plan, code="S001-1")
    assert ms.due_date == dt.date(2025, 9, 30)  # 令和7年9月30日
    assert ms.owner_department.code == "JOHO"  # blank → the measure's department
    ms2 = Milestone.objects.get(plan=cast.plan, code="S001-2")
    assert ms2.owner_department.code == "SHIMIN" and ms2.due_date == dt.date(2025, 12, 1)  # R7.12.1
    assert Milestone.objects.get(plan=cast.plan, code="S001-3").due_date == dt.date(2025, 12, 15)  # R7/12/15
    done = Milestone.objects.filter(plan=cast.plan, status="done").first()
    assert done.completed_on == dt.date(2025, 5, 1)
    kpi = Indicator.objects.get(plan=cast.plan, code="K001")
    assert kpi.target_fy == 2027 and kpi.target_value == Decimal("101") and kpi.direction == "higher"
    assert kpi.values.get().value == Decimal("41")


def test_reimporting_the_same_workbook_changes_nothing(cast):
    data = xlsx(realistic_sheets(60))
    _import(cast.plan, data)
    history_before = Measure.history.count() + Milestone.history.count()
    run, preview = _import(cast.plan, data, name="again.xlsx")
    assert all(c["new"] == 0 and c["changed"] == 0 for c in preview.counts.values())
    assert preview.counts["施策"]["unchanged"] == 60
    assert Measure.history.count() + Milestone.history.count() == history_before


def test_an_edited_copy_updates_exactly_the_edited_cells(cast):
    sheets = realistic_sheets(60)
    _import(cast.plan, xlsx(sheets))
    sheets["施策"][5][1] = "新しい施策名"
    sheets["マイルストーン"][10][6] = "遅延"
    sheets["指標"][3][7] = 250
    run, preview = _import(cast.plan, xlsx(sheets), cast.admin, name="edited.xlsx")
    assert {n: (c["new"], c["changed"]) for n, c in preview.counts.items()} == {
        "部署": (0, 0),
        "施策": (0, 1),
        "マイルストーン": (0, 1),
        "指標": (0, 1),
    }
    changes = preview.sheets["施策"].diffs[0].changes
    assert [(c.column, c.before, c.after) for c in changes] == [("施策名", "施策その5（デジタル化）", "新しい施策名")]
    measure = Measure.objects.get(plan=cast.plan, code="S005")
    assert measure.title == "新しい施策名"
    latest = measure.history.first()
    assert latest.history_change_reason == f"インポート #{run.pk} (edited.xlsx)"
    assert latest.history_user == cast.admin
    milestone = Milestone.objects.get(plan=cast.plan, code=sheets["マイルストーン"][10][0])
    assert milestone.status == "delayed" and milestone.version == 2
    assert milestone.history.first().history_change_reason == f"インポート #{run.pk} (edited.xlsx)"
    assert Indicator.objects.get(plan=cast.plan, code="K003").target_value == Decimal("250")


def test_rows_absent_from_the_file_are_left_alone(cast):
    sheets = realistic_sheets(60)
    _import(cast.plan, xlsx(sheets))
    del sheets["施策"][10:]
    del sheets["マイルストーン"][10:]
    del sheets["指標"][10:]
    _, preview = _import(cast.plan, xlsx(sheets))
    assert not preview.has_changes
    assert Measure.objects.filter(plan=cast.plan).count() == 61


def test_a_new_actual_value_is_added_and_a_corrected_one_keeps_the_old_row(cast):
    sheets = realistic_sheets(10)
    _import(cast.plan, xlsx(sheets))
    sheets["指標"][1][9] = 55  # K001 was 41 at 2025/3/31: a correction
    sheets["指標"][2][9:11] = [12, "2025/9/30"]  # K002 had no value: a new one
    _import(cast.plan, xlsx(sheets))
    k1 = Indicator.objects.get(plan=cast.plan, code="K001")
    assert [(v.value, v.is_current) for v in k1.values.order_by("recorded_at", "pk")] == [
        (Decimal("41"), False),
        (Decimal("55"), True),
    ]
    assert k1.values.get(is_current=True).corrects.value == Decimal("41")
    assert Indicator.objects.get(plan=cast.plan, code="K002").values.get().as_of == dt.date(2025, 9, 30)


def test_another_citys_plan_with_the_same_codes_is_untouched(cast):
    _import(cast.plan, xlsx(realistic_sheets(10)))
    assert Measure.objects.filter(plan=cast.other_plan).count() == 1
    assert not Department.objects.filter(municipality=cast.other_city, code__startswith="KIKAKU").exists()


@pytest.mark.parametrize("text", ["1、3", "1,3", "１，３", "自治体の情報システムの標準化・共通化、3"])
def test_national_items_are_read_by_number_or_name(cast, text):
    sheets = realistic_sheets(1)
    sheets["施策"][1][4] = text
    _import(cast.plan, xlsx(sheets))
    assert sorted(i.number for i in Measure.objects.get(plan=cast.plan, code="S001").national_items.all()) == [1, 3]


def test_english_headers_and_sheet_names_are_accepted(cast):
    sheets = realistic_sheets(3)
    english = {
        "Measures": [
            [
                "Code",
                "Title",
                "Summary",
                "Issues",
                "National items",
                "Department",
                "Pillar",
                "Start FY",
                "End FY",
                "Budget",
            ]
        ]
        + sheets["施策"][1:],
        "Milestones": [["Code", "Measure code", "Title", "Kind", "Due date", "Department", "Status", "Completed on"]]
        + sheets["マイルストーン"][1:],
        "KPIs": [
            [
                "Code",
                "Measure code",
                "Name",
                "Unit",
                "Direction",
                "Baseline",
                "Baseline date",
                "Target",
                "Target FY",
                "Actual",
                "Actual date",
            ]
        ]
        + sheets["指標"][1:],
        "Departments": [["Code", "Name", "Parent", "Email"]] + sheets["部署"][1:],
    }
    _, preview = _import(cast.plan, xlsx(english))
    assert preview.counts["施策"]["new"] == 3 and preview.counts["指標"]["new"] == 3


def test_a_preview_can_be_confirmed_only_once(cast):
    data = xlsx(realistic_sheets(3))
    run, _ = services.plan_import_preview(plan=cast.plan, data=data, file_name="p.xlsx", user=cast.admin)
    services.plan_import_apply(run=run, data=data, user=cast.admin)
    run.status = ImportRun.Status.PREVIEWED  # a stale copy of the run, as a second browser tab would hold
    with pytest.raises(services.ImportBlocked) as blocked:
        services.plan_import_apply(run=run, data=data, user=cast.admin)
    assert "既に取り込み済み" in blocked.value.preview.errors[0].message
