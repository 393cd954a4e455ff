"""The session briefing as an .xlsx workbook: the same parts as the A4 page, one sheet each. Every cell goes
through core.formulas.safe_cell (formula injection)."""

from __future__ import annotations

import io

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.formulas import safe_cell
from plans import audit

from .selectors import Briefing


def _sheet(wb: Workbook, title: str, heading: str, headers: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title=title[:31])
    ws.append([safe_cell(heading)])
    ws.append([safe_cell(h) for h in headers])
    for row in rows:
        ws.append([safe_cell(c) for c in row])


def workbook(b: Briefing) -> bytes:
    wb = Workbook(write_only=True)
    o = b.overview
    head = _("%(session)s 説明資料（%(day)s 時点）") % {"session": b.session.name, "day": b.day.isoformat()}
    _sheet(
        wb,
        _("概要"),
        head,
        [_("項目"), _("値")],
        [
            [_("計画"), b.plan.title],
            [_("進捗率（計画全体、%）"), o.total.percent],
            [_("施策数"), o.total.measures],
            [_("完了したマイルストーン"), o.total.ms_done],
            [_("マイルストーン数"), o.total.ms_total],
            [_("期限超過のマイルストーン"), o.overdue_count],
            [_("30日以内に期限"), o.due_soon_count],
            [_("国の期限を過ぎる予定のマイルストーン"), b.risk_count],
            [_("前回の会議以降の変化（件）"), len(b.changes.changes)],
            [_("以前の会議での答弁（未完了／期限超過）"), f"{b.commitments_open} / {b.commitments_overdue}"],
        ]
        + [[f"KPI {g}", n] for g, n in o.grade_counts],
    )
    _sheet(
        wb,
        _("国の取組事項"),
        head,
        [_("番号"), _("取組事項"), _("施策数"), _("進捗率（%）"), _("状況"), _("期限超過のマイルストーン")],
        [[r.number, r.label, r.measures, r.percent, r.health_label or _("施策なし"), r.ms_overdue] for r in o.items],
    )
    _sheet(
        wb,
        _("前回からの変化"),
        head,
        [_("国の取組事項"), _("担当部署"), _("区分"), _("施策"), _("対象"), _("変更前"), _("変更後"), _("備考")],
        [
            [g.label, dept, c.kind_label, f"{c.measure_code} {c.measure_title}", c.subject, c.before, c.after, c.note]
            for g in b.changes.groups
            for dept, rows in g.departments
            for c in rows
        ],
    )
    _sheet(
        wb,
        _("遅れと理由"),
        head,
        [_("マイルストーン"), _("施策"), _("担当部署"), _("期限"), _("状況"), _("理由（最新の報告）")],
        [
            [
                f"{x.milestone.code} {x.milestone.title}",
                f"{x.milestone.measure.code} {x.milestone.measure.title}",
                x.milestone.owner_department.name if x.milestone.owner_department else "",
                x.milestone.due_date,
                x.milestone.get_status_display(),
                x.reason,
            ]
            for x in b.late
        ],
    )
    _sheet(
        wb,
        _("国の期限"),
        head,
        [_("取組事項"), _("国の期限"), _("マイルストーン"), _("期限"), _("状況"), _("担当部署")],
        [
            [f"{r.number}. {r.short_name}", r.deadline, f"{m.code} {m.title}", m.due_date, m.status_label, m.department]
            for r in b.risks
            for m in r.milestones
        ],
    )
    headers = [
        _("会議"),
        _("質問者"),
        _("答弁者"),
        _("項目"),
        _("答弁の内容"),
        _("期限"),
        _("担当部署"),
        _("状況"),
        _("期限超過"),
        _("進捗の説明"),
        _("会議録"),
    ]
    if b.public:
        headers.remove(_("質問者"))
    rows = []
    for c in b.commitments:
        row = [
            c.session,
            c.questioner,
            c.answering_official,
            c.subject,
            c.words,
            c.due_label,
            c.department,
            c.status_label,
            _("期限超過") if c.overdue else "",
            c.progress_note,
            c.record_url,
        ]
        if b.public:
            row.pop(1)
        rows.append(row)
    _sheet(wb, _("答弁の進捗"), head, headers, rows)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def response(b: Briefing, *, request: HttpRequest) -> HttpResponse:
    audit.record(
        request=request,
        action="export",
        target=f"{b.session.name} briefing (xlsx)",
        table="briefing",
        format="xlsx",
        rows=len(b.changes.changes),
        as_of=b.day,
    )
    resp = HttpResponse(workbook(b), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="briefing_{b.session.starts_on:%Y%m%d}.xlsx"'
    return resp
