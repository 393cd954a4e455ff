"""The 工程表 grid's cells as HTML, built in Python: at city scale the grid has 10,000 cells and 3,000
milestones, which the template engine renders in about a second; this takes a few milliseconds.
Everything user-entered goes through escape(). The 工程表 itself is a Gantt chart (gantt_rows, one fiscal year a
page); the quarter grid (timeline_cells) remains for callers that want it."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


def timeline_cells(timeline, *, link: bool) -> None:
    """Set `row_html` (the <td> cells) on every measure of a Timeline."""
    marker = 999999999
    url_pattern = reverse("milestones:detail", args=[marker]).replace(str(marker), "{}") if link else ""
    overdue_label = escape(_("超過"))
    today = timeline.today_column
    for measure in timeline.measures:
        parts = []
        for index, cell in enumerate(measure.cells):
            parts.append('<td class="q today">' if index == today else '<td class="q">')
            for ms in cell:
                cls = f"ms ms-{ms['status']}" + (" ms-overdue" if ms["overdue"] else "")
                title = escape(ms["title"])
                if link:
                    title = f'<a href="{url_pattern.format(ms["id"])}">{title}</a>'
                due = f"{ms['due_date'].month}/{ms['due_date'].day}"
                late = f" <strong>{overdue_label}</strong>" if ms["overdue"] else ""
                parts.append(f'<span class="{cls}">{title}<br>{due} {escape(ms["status_label"])}{late}</span>')
            parts.append("</td>")
        measure.row_html = mark_safe("".join(parts))  # noqa: S308 — every piece above is escaped


def gantt_rows(timeline, *, link: bool) -> None:
    """Set `gantt_svg` (the measure's bar and milestone markers in the page's fiscal year) and `url` (its
    page, reversed once for all rows) on every measure."""
    from . import charts

    marker = 999999999
    url_pattern = reverse("milestones:detail", args=[marker]).replace(str(marker), "{}") if link else ""
    fy = timeline.columns[0][0]
    measure_pattern = reverse("measures:detail", args=[marker]).replace(str(marker), "{}") if link else ""
    for measure in timeline.measures:
        measure.url = measure_pattern.format(measure.id)
        measure.gantt_svg = charts.gantt_row(
            fy=fy,
            today=timeline.today,
            start_fy=measure.start_fy,
            end_fy=measure.end_fy,
            milestones=measure.milestones,
            url_pattern=url_pattern,
            label=_("%(code)s の工程（%(fy)s年度）") % {"code": measure.code, "fy": fy},
        )
