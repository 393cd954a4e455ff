"""The 進捗状況報告書 of an approved round as an .xlsx, in the layout cities publish: per pillar → measure,
取組内容, KPI 基準値/目標値/実績値/達成度, 評価, 課題, 今後の方向性, 事業費. Every text cell is neutralised
against formula injection (= + - @ tab CR get a leading apostrophe)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.page import PageMargins

from core.formulas import safe_cell

from .models import EvaluationRound
from .selectors import ReportSection


def report_headers() -> list[str]:
    return [
        _("施策の柱"),
        _("施策コード"),
        _("施策名"),
        _("担当部署"),
        _("取組内容（取組実績）"),
        _("指標（KPI）"),
        _("単位"),
        _("基準値"),
        _("目標値"),
        _("実績値"),
        _("達成度（%）"),
        _("KPI区分"),
        _("自己評価"),
        _("成果"),
        _("課題"),
        _("今後の方向性"),
        _("事業費 決算（千円）"),
        _("削減された業務時間（時間/年）"),
    ]


def report_rows(sections: list[ReportSection]) -> list[list]:
    """One row per KPI (a measure without KPIs has one row); the measure's columns repeat on each of its rows."""
    rows = []
    for section in sections:
        for item in section.measures:
            e = item.evaluation
            head = [
                section.pillar_name,
                item.measure.code,
                item.measure.title,
                item.measure.owner_department.name,
                e.achievements,
            ]
            tail = [
                e.self_grade,
                e.outcomes,
                e.issues,
                e.get_direction_display() if e.direction else "",
                e.settled_cost_thousand_yen,
                e.hours_saved_per_year,
            ]
            for kpi in item.kpis or [None]:
                kpi_cells = (
                    [kpi.name, kpi.unit, kpi.baseline, kpi.target, kpi.actual, kpi.achievement_percent, kpi.grade]
                    if kpi
                    else ["", "", None, None, None, None, ""]
                )
                rows.append(head + kpi_cells + tail)
    return rows


def report_workbook(*, round: EvaluationRound, sections: list[ReportSection]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("進捗状況報告書")[:31]
    title = _("%(plan)s 進捗状況報告書（%(fy)s）") % {"plan": round.plan.title, "fy": round.fiscal_year_label}
    ws.append([safe_cell(title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            safe_cell(
                _("%(city)s　本部承認日: %(date)s")
                % {
                    "city": round.plan.municipality.name,
                    "date": f"{round.approved_at:%Y/%m/%d}" if round.approved_at else "—",
                }
            )
        ]
    )
    ws.append([])
    headers = report_headers()
    ws.append([safe_cell(h) for h in headers])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F5")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in report_rows(sections):
        ws.append([safe_cell(v) for v in row])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = wrap
    widths = [14, 10, 24, 12, 40, 20, 8, 10, 10, 10, 10, 8, 8, 30, 30, 12, 14, 14]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=header_row, column=index).column_letter].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
