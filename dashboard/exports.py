"""Every dashboard table as rows for CSV / .xlsx export, built from the same selectors as the pages.

Cells are neutralised against formula injection (CSV/Excel "DDE"): a text cell starting with = + - @ (or a
tab / carriage return) gets a leading apostrophe, so a measure titled "=HYPERLINK(…)" stays text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from core.formulas import safe_cell
from measures.models import WorkStatus
from milestones.selectors import slippage_of
from plans import audit


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list]


def _status_label(status: str) -> str:
    return str(WorkStatus(status).label)


def group_table(name: str, title: str, rows, *, with_number: bool = False) -> Table:
    from measures.progress import Health

    from .selectors import HEALTH_KEYS

    headers = (
        ([_("番号"), _("取組事項"), _("区分")] if with_number else [_("名称")])
        + [_("施策数"), _("進捗率（%）"), _("状況")]
        + [Health.label(h) for h in HEALTH_KEYS]
        + [_("完了したマイルストーン"), _("マイルストーン数"), _("期限超過のマイルストーン")]
    )
    out = []
    for r in rows:
        head = [r.number, r.label, r.group] if with_number else [r.label]
        out.append(
            head
            + [r.measures, r.percent, r.health_label or _("施策なし")]
            + [r.by_health.get(h, 0) for h in HEALTH_KEYS]
            + [r.ms_done, r.ms_total, r.ms_overdue]
        )
    return Table(name, title, headers, out)


def milestone_table(name: str, title: str, milestones: Sequence, *, late_on=None, comments: bool = False) -> Table:
    """Milestones fetched with milestones.selectors.with_slippage (their approved due-date changes); with late_on
    (a date), also how many days overdue, and with comments the latest comment or public progress report (not in
    the public version: open data carries no comments)."""
    headers = [
        _("コード"),
        _("マイルストーン"),
        _("施策コード"),
        _("施策"),
        _("担当部署"),
        _("当初期限"),
        _("期限"),
        _("期限の変更（日）"),
        _("期限の変更回数"),
        _("期限の変更理由"),
        _("状況"),
    ]
    headers += [_("超過日数")] if late_on is not None else []
    headers += [_("最新のコメント・理由")] if comments else []
    rows = []
    for m in milestones:
        slip = slippage_of(m)
        rows.append(
            [
                m.code,
                m.title,
                m.measure.code,
                m.measure.title,
                m.owner_department.name,
                slip.baseline,
                m.due_date,
                slip.days,
                slip.count,
                slip.reasons,
                _status_label(m.status),
            ]
            + ([(late_on - m.due_date).days] if late_on is not None else [])
            + ([m.comment or getattr(m, "latest_report", "") or ""] if comments else [])
        )
    return Table(name, title, headers, rows)


def measure_table(name: str, title: str, rows) -> Table:
    headers = [
        _("施策コード"),
        _("施策"),
        _("担当部署"),
        _("国の取組事項（番号）"),
        _("進捗率（%）"),
        _("状況"),
        _("完了したマイルストーン"),
        _("マイルストーン数"),
        _("期限超過のマイルストーン"),
        _("自己評価（最新報告の状況）"),
        _("自己評価（最新報告の進捗率）"),
        _("自己評価と工程に差異"),
    ]
    return Table(
        name,
        title,
        headers,
        [
            [
                r.code,
                r.title,
                r.department,
                " ".join(str(n) for n in r.item_numbers),
                r.percent,
                r.health_label,
                r.ms_done,
                r.ms_total,
                r.ms_overdue,
                r.latest_status_label,
                r.latest_percent,
                r.discrepancy.explanation,
            ]
            for r in rows
        ],
    )


def kpi_table(name: str, title: str, cards) -> Table:
    headers = [
        _("指標"),
        _("施策コード"),
        _("単位"),
        _("方向"),
        _("基準値"),
        _("目標値"),
        _("目標年度"),
        _("最新の実績"),
        _("達成度（%）"),
        _("評価"),
    ]
    return Table(
        name,
        title,
        headers,
        [
            [
                k.name,
                k.measure_code,
                k.unit,
                _("大きいほど良い") if k.direction == "higher" else _("小さいほど良い"),
                k.baseline,
                k.target,
                k.target_fy,
                k.latest,
                k.achievement_percent,
                k.grade or "-",
            ]
            for k in cards
        ],
    )


def timeline_table(name: str, title: str, timeline) -> Table:
    headers = [
        _("施策コード"),
        _("施策"),
        _("担当部署"),
        _("マイルストーン"),
        _("期限"),
        _("年度"),
        _("四半期"),
        _("状況"),
        _("期限超過"),
    ]
    rows = []
    for m in timeline.measures:
        for ms in m.milestones:
            col = timeline.columns[ms["column"]] if ms["column"] is not None else (None, None)
            rows.append(
                [
                    m.code,
                    m.title,
                    m.department,
                    ms["title"],
                    ms["due_date"],
                    col[0],
                    col[1],
                    ms["status_label"],
                    ms["overdue"],
                ]
            )
    return Table(name, title, headers, rows)


def compare_table(name: str, title: str, comparison) -> Table:
    headers = [_("団体") if comparison.level == "municipality" else _("都道府県"), _("団体数")]
    for item in comparison.items:
        headers += [
            f"{item.number}. {item.short_name or item.name} {_('進捗率（%）')}",
            f"{item.number}. {_('遅延の施策')}",
        ]
    rows = []
    for r in comparison.rows:
        row = [r.label, r.municipalities]
        for c in r.cells:
            row += [c.percent, c.late]
        rows.append(row)
    return Table(name, title, headers, rows)


def export_file(table: Table, *, fmt: str, as_of: dt.date) -> tuple[bytes, str, str]:
    """The table as a CSV or .xlsx file: (data, content type, file name)."""
    filename = f"{table.name}_{as_of:%Y%m%d}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # BOM: Excel in Japan opens UTF-8 CSV correctly only with it
        writer = csv.writer(buffer)
        writer.writerow([safe_cell(h) for h in table.headers])
        for row in table.rows:
            writer.writerow([safe_cell(c) for c in row])
        return buffer.getvalue().encode(), "text/csv; charset=utf-8", filename
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=table.name[:31])
    ws.append([f"{table.title}（{_('基準日')} {as_of:%Y-%m-%d}）"])
    ws.append([safe_cell(h) for h in table.headers])
    for row in table.rows:
        ws.append([safe_cell(c) for c in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename


def export_response(table: Table, *, fmt: str, as_of: dt.date, request: HttpRequest) -> HttpResponse:
    """Every CSV/.xlsx download of dashboard data leaves through here, and is written to the audit log."""
    audit.record(
        request=request,
        action="export",
        target=f"{table.title} ({fmt})",
        table=table.name,
        format=fmt,
        rows=len(table.rows),
        as_of=as_of,
    )
    data, content_type, filename = export_file(table, fmt=fmt, as_of=as_of)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
