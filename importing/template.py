"""The plan workbook the portal writes: the template (empty data sheets) and the export (the plan's data).

Both have the same format — Japanese headers (required ones marked in the 説明 sheet and in bold), an 「説明」
sheet with each column's meaning and an example, drop-downs for national items, departments, status, kind and
direction (from a hidden 「選択肢」 sheet), dates formatted as dates — so export → edit → import round-trips.
Text that a spreadsheet would run as a formula (= + - @) is neutralised by the Resources' widgets.

The workbook's text (sheet names, headers, the 説明 sheet, drop-down messages) is not translated: it is the file
format, the same whatever the language of the person downloading it (resources.py).
"""

from __future__ import annotations

import datetime as dt
import io

from django.db.models import Prefetch
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.formulas import neutralise
from evaluations.models import MeasureEvaluation
from measures.models import Indicator, IndicatorValue, Measure
from milestones.models import Milestone
from plans.models import Department, NationalItem, Plan

from .resources import (
    AUDIENCE,
    CHANGE_LEVEL,
    CHANNEL,
    DIRECTION,
    EVALUATION_DIRECTION,
    KIND,
    SHEET_RESOURCES,
    STATUS,
    DepartmentResource,
    SheetResource,
)

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
DATE_FORMAT = "yyyy/m/d"
CHOICES_SHEET = "選択肢"
DATA_ROWS = 2000  # how far down the drop-downs reach in an empty template


def _querysets(plan: Plan) -> dict[str, object]:
    return {
        "部署": Department.objects.filter(municipality_id=plan.municipality_id)
        .select_related("parent")
        .order_by("sort_order", "code"),
        "施策": Measure.objects.filter(plan=plan)
        .select_related("owner_department", "pillar")
        .prefetch_related("national_items")
        .order_by("sort_order", "code"),
        "マイルストーン": Milestone.objects.filter(plan=plan)
        .select_related("measure", "owner_department")
        .order_by("sort_order", "due_date", "code"),
        "指標": Indicator.objects.filter(plan=plan)
        .select_related("measure")
        .prefetch_related(Prefetch("values", queryset=IndicatorValue.objects.filter(is_current=True)))
        .order_by("sort_order", "code"),
        "年度評価": MeasureEvaluation.objects.filter(round__plan=plan)
        .select_related("round", "measure")
        .order_by("round__fiscal_year", "measure__sort_order", "measure__code"),
    }


def build_workbook(*, plan: Plan, with_data: bool) -> bytes:
    workbook = Workbook()
    explanation = workbook.active
    explanation.title = "説明"
    querysets = _querysets(plan)
    departments = list(querysets["部署"])
    items = list(NationalItem.objects.filter(edition_id=plan.edition_id).order_by("number"))
    choices = _choices_sheet(workbook, items, departments)
    for resource_class in SHEET_RESOURCES:
        sheet = workbook.create_sheet(resource_class.sheet_name)
        resource = resource_class()
        rows = []
        if with_data or resource_class is DepartmentResource:
            queryset = departments if resource_class is DepartmentResource else querysets[resource_class.sheet_name]
            rows = [resource.export_row(obj) for obj in queryset]
        _write_sheet(sheet, resource_class, rows, choices)
    _explanation_sheet(explanation, plan, items)
    workbook.move_sheet(CHOICES_SHEET, offset=len(workbook.sheetnames))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _choices_sheet(workbook: Workbook, items, departments) -> dict[str, str]:
    sheet = workbook.create_sheet(CHOICES_SHEET)
    sheet.sheet_state = "hidden"
    columns = {
        "national_items": ("国の取組項目", [f"{i.number}. {i.name}" for i in items]),
        "department": ("部署コード", [d.code for d in departments]),
        "department_name": ("部署名", [d.name for d in departments]),
        "status": ("状況", list(STATUS.labels.values())),
        "kind": ("種別", list(KIND.labels.values())),
        "direction": ("方向", list(DIRECTION.labels.values())),
        "change_level": ("変革の段階", list(CHANGE_LEVEL.labels.values())),
        "channel": ("チャネル", list(CHANNEL.labels.values())),
        "audience": ("対象", list(AUDIENCE.labels.values())),
        "future_direction": ("今後の方向性", list(EVALUATION_DIRECTION.labels.values())),
    }
    ranges = {}
    for index, (key, (title, values)) in enumerate(columns.items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=title)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index, value=neutralise(value))
        ranges[key] = f"'{CHOICES_SHEET}'!${letter}$2:${letter}${max(len(values) + 1, 2)}"
    return ranges


_DROPDOWNS = {
    "national_items": "national_items",
    "owner_department": "department_name",  # people pick a name; the importer reads a code or a name
    "status": "status",
    "kind": "kind",
    "direction": "direction",
    "change_level": "change_level",
    "channel": "channel",
    "audience": "audience",
    "future_direction": "future_direction",
}
_DATE_FIELDS = {"due_date", "completed_on", "baseline_date", "actual_date"}


def _write_sheet(sheet, resource_class: type[SheetResource], rows: list[list], choices: dict[str, str]) -> None:
    names = [name for name, _ in resource_class.column_fields()]
    for col, name in enumerate(names, start=1):
        cell = sheet.cell(row=1, column=col, value=resource_class.header_of(name))
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if name in resource_class.required else HEADER_FILL
        sheet.column_dimensions[get_column_letter(col)].width = 24 if name in ("title", "name", "summary") else 16
    sheet.freeze_panes = "A2"
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            if isinstance(value, str):
                value = neutralise(value)
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
    last_row = max(len(rows) + 1, DATA_ROWS)
    for col, name in enumerate(names, start=1):
        letter = get_column_letter(col)
        if name in _DATE_FIELDS:
            for r in range(len(rows) + 2, min(last_row, 202) + 1):
                sheet.cell(row=r, column=col).number_format = DATE_FORMAT
        if name in _DROPDOWNS:
            # National items accept several values, so the drop-down helps without forbidding typing.
            strict = name != "national_items"
            validation = DataValidation(
                type="list", formula1=choices[_DROPDOWNS[name]], allow_blank=True, showErrorMessage=strict
            )
            if strict:
                validation.error = "一覧から選んでください。"
                validation.errorTitle = "入力できない値です"
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{last_row}")


def _explanation_sheet(sheet, plan: Plan, items) -> None:
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 26
    sheet.column_dimensions["C"].width = 8
    sheet.column_dimensions["D"].width = 70
    sheet.column_dimensions["E"].width = 30
    wrap = Alignment(wrap_text=True, vertical="top")
    lines = [
        [f"{plan.municipality.name} {plan.title}（計画コード: {plan.code}）の取込用ブック"],
        [
            "このブックを編集して、管理画面の「Excelから取込」でアップロードします。取込前にプレビューで確認でき、"
            "確定するまで何も書き込まれません。コードが同じ行は更新、新しいコードは追加、ブックに無い行はそのまま残ります。"
        ],
        [
            "日付: 2025/4/1、2025年4月1日、令和7年4月1日、R7.4.1 など。年度: 2025、2025年度、令和7年度、R7。"
            "全角の数字・英字も使えます。セルに数式は使えません（値を貼り付けてください）。"
        ],
        [],
        ["シート", "列", "必須", "説明", "例"],
    ]
    for line in lines:
        sheet.append([neutralise(v) if isinstance(v, str) else v for v in line])
    sheet.cell(row=5, column=1).font = Font(bold=True)
    for col in range(1, 6):
        sheet.cell(row=5, column=col).font = Font(bold=True)
        sheet.cell(row=5, column=col).fill = HEADER_FILL
    for resource_class in SHEET_RESOURCES:
        for name, fld in resource_class.column_fields():
            text, example = resource_class.help.get(name, ("", ""))
            sheet.append(
                [
                    resource_class.sheet_name,
                    fld.column_name,
                    "○" if name in resource_class.required else "",
                    neutralise(text),
                    neutralise(example),
                ]
            )
            sheet.cell(row=sheet.max_row, column=4).alignment = wrap
    sheet.append([])
    sheet.append(["国の取組項目（番号と名前）"])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    for item in items:
        sheet.append([item.number, neutralise(item.name), "", neutralise(item.group)])
    sheet.append([])
    sheet.append(["部署シートは任意です。無い部署を施策や工程で使うときに追加してください。"])
    sheet.append(
        [
            "年度評価シートは任意です。年度評価はポータルで開始しておきます。本部承認後の年度や提出済みの評価は変更できません"
            "（同じ内容のままなら取り込めます）。"
        ]
    )
