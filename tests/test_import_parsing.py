"""Cells as admins type them: Japanese dates and fiscal years, full-width text, CSV encodings, huge blank sheets."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from importing import parsing, services
from importing.reading import read_file
from measures.models import Measure
from milestones.models import Milestone

from .import_workbooks import MEASURE_HEADERS, MILESTONE_HEADERS, csv_bytes, realistic_sheets, xlsx


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (dt.datetime(2025, 4, 1, 0, 0), dt.date(2025, 4, 1)),  # an Excel date cell
        ("2025-04-01", dt.date(2025, 4, 1)),
        ("2025/4/1", dt.date(2025, 4, 1)),
        ("2025年4月1日", dt.date(2025, 4, 1)),
        ("令和7年4月1日", dt.date(2025, 4, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("R7.4.1", dt.date(2025, 4, 1)),
        ("R7/4/1", dt.date(2025, 4, 1)),
        ("２０２５／４／１", dt.date(2025, 4, 1)),
        (" 令和７年４月１日 ", dt.date(2025, 4, 1)),
        (45748, dt.date(2025, 4, 1)),  # a serial number in a cell formatted as number
    ],
)
def test_each_accepted_date_form_parses(text, expected):
    assert parsing.clean_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (2025, 2025),
        ("2025", 2025),
        ("2025年度", 2025),
        ("令和7年度", 2025),
        ("R7", 2025),
        ("令和元年度", 2019),
        ("２０２５年度", 2025),
        (2025.0, 2025),
    ],
)
def test_each_accepted_fiscal_year_form_parses(text, expected):
    assert parsing.clean_fiscal_year(text) == expected


def test_codes_and_numbers_are_nfkc_normalised_but_titles_keep_their_full_width_brackets():
    assert parsing.clean_code("　Ｍ０１ ") == "M01"
    assert parsing.clean_decimal("１，２３４．５") == Decimal("1234.5")
    assert parsing.clean_text("  施策（全角かっこ）  ") == "施策（全角かっこ）"


def _measure_rows():
    return [MEASURE_HEADERS, ["C01", "CSVの施策", "", "", "3", "情報政策課", "", "令和7年度", "R9", "１２００"]]


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("cp932", False)], ids=["utf8", "utf8-bom", "cp932"]
)
def test_a_csv_of_one_sheet_imports_in_each_encoding(cast, encoding, bom):
    data = csv_bytes(_measure_rows(), encoding=encoding, bom=bom)
    _, preview = services.plan_import(plan=cast.plan, data=data, file_name="施策.csv", user=None)
    assert preview.counts == {"施策": {"new": 1, "changed": 0, "unchanged": 0, "errors": 0}}
    measure = Measure.objects.get(plan=cast.plan, code="C01")
    assert (measure.title, measure.start_fy, measure.end_fy, measure.budget_thousand_yen) == (
        "CSVの施策",
        2025,
        2027,
        1200,
    )


def test_a_cp932_csv_really_is_cp932_and_its_sheet_is_found_by_its_headers(cast):
    rows = [MILESTONE_HEADERS, ["M01-9", "M01", "髙橋さんの①工程", "到達目標", "令和8年3月31日", "", "進行中", ""]]
    data = csv_bytes(rows, encoding="cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    _, preview = services.plan_import(plan=cast.plan, data=data, file_name="export (1).csv", user=None)
    assert preview.counts["マイルストーン"]["new"] == 1
    milestone = Milestone.objects.get(plan=cast.plan, code="M01-9")
    assert milestone.title == "髙橋さんの①工程" and milestone.kind == "goal" and milestone.status == "in_progress"
    assert milestone.owner_department == cast.joho


def test_a_sheet_declaring_a_million_rows_reads_only_its_data(cast):
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in realistic_sheets(5).items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        # What LibreOffice does: styled, empty cells down to the last row of the sheet.
        sheet.cell(row=1_048_576, column=1).number_format = "@"
        sheet.cell(row=200_000, column=3).number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheets = read_file(buffer.getvalue(), "libre.xlsx")
    assert [len(s.rows) for s in sheets] == [3, 5, 15, 5]
    _, preview = services.plan_import(plan=cast.plan, data=buffer.getvalue(), file_name="libre.xlsx", user=None)
    assert preview.counts["マイルストーン"]["new"] == 15


def test_blank_rows_between_data_rows_are_ignored_and_row_numbers_stay_excels(cast):
    sheets = realistic_sheets(3)
    sheets["施策"].insert(2, [None] * 10)
    sheets["施策"].insert(3, ["", " ", None])
    sheets["施策"][5][5] = "どこにもない課"
    with pytest.raises(services.ImportBlocked) as blocked:
        services.plan_import(plan=cast.plan, data=xlsx(sheets), file_name="p.xlsx", user=None)
    assert [(e.sheet, e.row) for e in blocked.value.preview.errors] == [("施策", 6)]
