"""Export produces the import format: export → import is a no-op, and the template explains itself."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from devdata.demo import seed_demo
from importing import services
from measures.models import Measure
from milestones.models import Milestone
from plans.models import Plan

from .factories import IndicatorFactory, MeasureFactory, MilestoneFactory
from .import_workbooks import database_fingerprint, realistic_sheets, xlsx


def test_exporting_the_demo_plan_and_importing_it_back_changes_nothing(db):
    plan = seed_demo()
    before = database_fingerprint()
    _, preview = services.plan_import(plan=plan, data=services.plan_export(plan=plan), file_name="demo.xlsx", user=None)
    assert not preview.errors and not preview.has_changes
    assert preview.counts["マイルストーン"]["unchanged"] == Milestone.objects.filter(plan=plan).count()
    assert database_fingerprint() == before


def test_an_exported_plan_imports_into_an_empty_plan_identically(cast):
    services.plan_import(plan=cast.plan, data=xlsx(realistic_sheets(55)), file_name="a.xlsx", user=None)
    exported = services.plan_export(plan=cast.plan)
    empty = Plan.objects.create(
        municipality=cast.city, code="copy", title="写し", start_fy=2025, end_fy=2029, edition=cast.plan.edition
    )
    _, preview = services.plan_import(plan=empty, data=exported, file_name="copy.xlsx", user=None)
    assert preview.counts["施策"]["new"] == 56 and preview.counts["マイルストーン"]["new"] == 166

    def shape(plan):
        return sorted(
            Measure.objects.filter(plan=plan).values_list(
                "code",
                "title",
                "summary",
                "owner_department__code",
                "pillar__name",
                "start_fy",
                "end_fy",
                "budget_thousand_yen",
            )
        )

    assert shape(empty) == shape(cast.plan)
    # …and exporting the copy gives the same rows again
    _, again = services.plan_import(plan=empty, data=services.plan_export(plan=empty), file_name="b.xlsx", user=None)
    assert not again.has_changes


def test_cells_that_would_run_as_formulas_are_neutralised_and_still_round_trip(cast):
    MeasureFactory(
        plan=cast.plan,
        owner_department=cast.joho,
        code="EVIL",
        title='=HYPERLINK("http://x")',
        summary="+81 3 1234",
        current_issues="@SUM(A1)",
    )
    MilestoneFactory(measure=Measure.objects.get(code="EVIL"), code="EVIL-1", title="-1 日前倒し")
    data = services.plan_export(plan=cast.plan)
    sheet = load_workbook(io.BytesIO(data))["施策"]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "EVIL")
    assert row[1] == '\'=HYPERLINK("http://x")' and row[2] == "'+81 3 1234" and row[3] == "'@SUM(A1)"
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    _, preview = services.plan_import(plan=cast.plan, data=data, file_name="x.xlsx", user=None)
    assert not preview.errors and not preview.has_changes
    assert Measure.objects.get(code="EVIL").title == '=HYPERLINK("http://x")'


def test_the_template_has_headers_explanations_dropdowns_and_date_formats(cast):
    IndicatorFactory(measure=cast.measure, code="K1")
    workbook = load_workbook(io.BytesIO(services.plan_template(plan=cast.plan)))
    assert workbook.sheetnames[:5] == ["説明", "部署", "施策", "マイルストーン", "指標"]
    assert workbook["選択肢"].sheet_state == "hidden"
    assert [c.value for c in workbook["施策"][1]][:5] == ["施策コード", "施策名", "概要", "現状・課題", "国の取組項目"]
    assert workbook["施策"].max_row == 1  # the template carries no measures…
    assert {r[0] for r in workbook["部署"].iter_rows(min_row=2, values_only=True)} >= {
        "JOHO",
        "SHIMIN",
    }  # …but the departments
    explanation = [r for r in workbook["説明"].iter_rows(values_only=True)]
    assert ("施策", "国の取組項目", "○") == explanation[[r[1] for r in explanation].index("国の取組項目")][:3]
    validations = {
        str(v.sqref).split(":")[0]: v.formula1 for v in workbook["マイルストーン"].data_validations.dataValidation
    }
    assert "選択肢" in validations["G2"]  # 状況
    choices = [r for r in workbook["選択肢"].iter_rows(values_only=True)]
    assert [r[3] for r in choices[1:6]] == ["未着手", "進行中", "完了", "遅延", "中止"]
    assert choices[1][0] == "1. 自治体の情報システムの標準化・共通化"
    assert workbook["マイルストーン"]["E2"].number_format == "yyyy/m/d"


def test_exported_dates_are_date_cells(cast):
    workbook = load_workbook(io.BytesIO(services.plan_export(plan=cast.plan)))
    due = workbook["マイルストーン"]["E2"]
    assert due.is_date and due.value.date() == cast.milestone.due_date == dt.date(2026, 3, 31)


def test_a_dropdown_value_for_national_items_imports(cast):
    sheets = realistic_sheets(1)
    sheets["施策"][1][4] = "3. 自治体の行政手続のオンライン化"
    services.plan_import(plan=cast.plan, data=xlsx(sheets), file_name="p.xlsx", user=None)
    assert [i.number for i in Measure.objects.get(code="S001").national_items.all()] == [3]


def test_the_template_offers_department_names_and_a_name_imports(cast):
    workbook = load_workbook(io.BytesIO(services.plan_template(plan=cast.plan)))
    validations = {str(v.sqref).split(":")[0]: v.formula1 for v in workbook["施策"].data_validations.dataValidation}
    owner_column = [c.value for c in workbook["施策"][1]].index("担当部署")
    formula = validations[f"{chr(ord('A') + owner_column)}2"]
    choices = list(workbook["選択肢"].iter_rows(values_only=True))
    column = [c for c in choices[0]].index("部署名")
    assert f"${chr(ord('A') + column)}$" in formula  # the drop-down lists names, not codes
    assert "情報政策課" in [r[column] for r in choices[1:]]
    sheets = realistic_sheets(1)
    sheets["施策"][1][5] = "情報政策課"
    services.plan_import(plan=cast.plan, data=xlsx(sheets), file_name="p.xlsx", user=None)
    assert Measure.objects.get(code="S001").owner_department == cast.joho
