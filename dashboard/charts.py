"""Server-made SVG charts: no JavaScript (works under a strict CSP), print well, and read without colour —
every bar carries its number and its status as text, and each status has its own fill pattern.
Each chart on a page is followed by a table with the same numbers (the text alternative)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from measures.progress import Health

# Pattern per health: colour AND shape (WCAG 1.4.1 use of colour).
PATTERNS = {
    Health.DONE: ("#1d6b2f", "solid"),
    Health.ON_TRACK: ("#0b4f9c", "dots"),
    Health.WARNING: ("#8a5a00", "hatch"),
    Health.LATE: ("#b00020", "cross"),
    Health.NOT_STARTED: ("#555555", "none"),
}


def _defs(uid: str) -> str:
    parts = ["<defs>"]
    for key, (colour, kind) in PATTERNS.items():
        pid = f"{uid}-pat-{key}"
        if kind == "solid":
            parts.append(
                f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
                f'<rect width="8" height="8" fill="{colour}"/></pattern>'
            )
        elif kind == "dots":
            parts.append(
                f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse">'
                f'<rect width="6" height="6" fill="{colour}"/><circle cx="3" cy="3" r="1.2" fill="#fff"/>'
                "</pattern>"
            )
        elif kind == "hatch":
            parts.append(
                f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
                '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern>'
            )
        elif kind == "cross":
            parts.append(
                f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse">'
                f'<rect width="6" height="6" fill="{colour}"/>'
                '<path d="M0 0L6 6M6 0L0 6" stroke="#fff" stroke-width="1.2"/></pattern>'
            )
        else:
            parts.append(
                f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse">'
                f'<rect width="6" height="6" fill="#ffffff"/>'
                f'<rect width="5" height="5" fill="none" stroke="{colour}"/></pattern>'
            )
    parts.append("</defs>")
    return "".join(parts)


def progress_bars(rows, *, title: str, desc: str, uid: str = "items") -> SafeString:
    """Horizontal bars: one per group row (label, percent, health). Empty groups say so in text."""
    bar_h, gap, label_w, bar_w, right = 22, 8, 300, 360, 150
    height = len(rows) * (bar_h + gap) + 30
    width = label_w + bar_w + right
    out = [
        f'<svg class="chart" role="img" aria-labelledby="{uid}-title {uid}-desc" viewBox="0 0 {width} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(desc)}</desc>',
        _defs(uid),
    ]
    for tick in (0, 50, 100):
        x = label_w + bar_w * tick / 100
        out.append(
            f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 24}" stroke="#c8c8c8"/>'
            f'<text x="{x}" y="{height - 8}" font-size="12" text-anchor="middle" fill="#1a1a1a">{tick}%</text>'
        )
    for n, row in enumerate(rows):
        y = n * (bar_h + gap) + 4
        label = row.label if len(row.label) <= 22 else row.label[:21] + "…"
        prefix = f"{row.number}. " if getattr(row, "number", None) else ""
        out.append(
            f'<text x="{label_w - 8}" y="{y + 16}" font-size="13" text-anchor="end" fill="#1a1a1a">'
            f"{escape(prefix + label)}</text>"
        )
        out.append(f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{bar_h}" fill="#f2f2f2" stroke="#767676"/>')
        if row.percent is None:
            text = _("施策なし")
        else:
            w = bar_w * row.percent / 100
            out.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="url(#{uid}-pat-{row.health})" stroke="{PATTERNS[row.health][0]}"/>'
            )
            text = f"{row.percent}% {row.health_label}"
        out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 16}" font-size="13" fill="#1a1a1a">{escape(text)}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))


def kpi_spark(card, *, width: int = 260, height: int = 90) -> SafeString:
    """Baseline → target straight line (dashed) and the actual values (points with labels)."""
    values = [float(v) for _d, v in card.series]
    for v in (card.baseline, card.target):
        if v is not None:
            values.append(float(v))
    if not values:
        return mark_safe("")
    lo, hi = min(values), max(values)
    if hi == lo:
        hi = lo + 1
    pad = 16

    def y(v: float) -> float:
        return height - pad - (v - lo) / (hi - lo) * (height - 2 * pad)

    n = max(len(card.series), 1)
    desc = _("基準値 %(b)s → 目標値 %(t)s、実績 %(a)s") % {
        "b": card.baseline if card.baseline is not None else "-",
        "t": card.target if card.target is not None else "-",
        "a": ", ".join(f"{d:%Y-%m-%d}: {v.normalize():f}" for d, v in card.series) or "-",
    }
    out = [
        f'<svg class="spark" role="img" aria-label="{escape(card.name)}: {escape(desc)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    if card.baseline is not None and card.target is not None:
        out.append(
            f'<line x1="{pad}" y1="{y(float(card.baseline)):.1f}" x2="{width - pad}" '
            f'y2="{y(float(card.target)):.1f}" stroke="#4a4a4a" stroke-dasharray="4 3"/>'
            f'<text x="{width - pad}" y="{y(float(card.target)) - 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#1a1a1a">{escape(_("目標"))}</text>'
        )
    pts = []
    for i, (_d, v) in enumerate(card.series):
        x = pad + (width - 2 * pad) * (i + 1) / (n + 1)
        pts.append((x, y(float(v)), v))
    if len(pts) > 1:
        out.append(
            '<polyline fill="none" stroke="#0b4f9c" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{yy:.1f}" for x, yy, _v in pts)
            + '"/>'
        )
    for x, yy, v in pts:
        out.append(
            f'<rect x="{x - 3:.1f}" y="{yy - 3:.1f}" width="6" height="6" fill="#0b4f9c"/>'
            f'<text x="{x:.1f}" y="{yy - 6:.1f}" font-size="10" text-anchor="middle" fill="#1a1a1a">'
            f"{escape(f'{v.normalize():f}')}</text>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))


# --- shared pieces ------------------------------------------------------------------------------


def _num(value) -> str:
    """A Decimal or float as people write it: no trailing zeros, thousands separators."""
    if value is None:
        return "-"
    d = value if hasattr(value, "normalize") else None
    if d is not None:
        text = f"{d.normalize():f}"
    else:
        text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    whole, _sep, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-') or 0):,}"
    return sign + whole + ("." + frac if frac else "")


def _date(day) -> str:
    return f"{day.year}/{day.month}/{day.day}"


def pattern_defs() -> SafeString:
    """The status patterns once per page (ids pat-<health>), for every small bar on it."""
    return mark_safe(
        '<svg class="svg-defs" aria-hidden="true" focusable="false" width="0" height="0" '
        'xmlns="http://www.w3.org/2000/svg">' + _defs("pat").replace('id="pat-pat-', 'id="pat-') + "</svg>"
    )


def mini_bar(percent: int | None, health: str | None, *, width: int = 120, height: int = 14) -> SafeString:
    """A small progress bar for a table cell (the number and the status are printed beside it)."""
    if percent is None or health is None:
        return mark_safe("")
    w = width * max(0, min(100, percent)) / 100
    return mark_safe(
        f'<svg class="mini-bar" aria-hidden="true" focusable="false" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><rect x="0.5" y="0.5" width="{width - 1}" '
        f'height="{height - 1}" fill="#f2f2f2" stroke="#767676"/><rect x="0.5" y="0.5" width="{max(w - 1, 0):.1f}" '
        f'height="{height - 1}" fill="url(#pat-{health})" stroke="{PATTERNS[health][0]}"/></svg>'
    )


def _nice_step(span: float, ticks: int = 4) -> float:
    import math

    if span <= 0:
        return 1.0
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


# --- KPI line chart -----------------------------------------------------------------------------


def kpi_chart(
    *,
    uid: str,
    name: str,
    unit: str,
    baseline,
    baseline_date,
    target,
    target_fy: int | None,
    points: list[tuple],
    grade: str | None,
    today=None,
    width: int = 560,
    height: int = 280,
) -> SafeString:
    """A KPI over time: axes with dates and the unit, the baseline and the target as labelled lines, the
    straight-line path from baseline to target (end of the target fiscal year), the actuals as points joined by
    a line (corrected values as hollow squares marked 訂正), and the A–D grade. `points` are (date, value,
    corrected). Returns "" when there is nothing to draw; the caller prints a table with the same numbers."""
    import datetime as dt

    from core.fiscal import fiscal_year, fiscal_year_bounds

    dates = [p[0] for p in points]
    if baseline_date is not None:
        dates.append(baseline_date)
    target_end = fiscal_year_bounds(target_fy)[1] if target_fy else None
    if target_end is not None:
        dates.append(target_end)
    values = [float(p[1]) for p in points] + [float(v) for v in (baseline, target) if v is not None]
    if not dates or not values:
        return mark_safe("")
    d0 = fiscal_year_bounds(fiscal_year(min(dates)))[0]
    d1 = fiscal_year_bounds(fiscal_year(max(dates)))[1] + dt.timedelta(days=1)
    lo, hi = min(values), max(values)
    if lo >= 0:
        lo = 0.0
    step = _nice_step(hi - lo if hi > lo else abs(hi) or 1)
    import math

    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step
    if hi <= lo:
        hi = lo + step
    left, right, top, bottom = 64, 16, 34, 58
    pw, ph = width - left - right, height - top - bottom

    def x(day) -> float:
        return left + pw * (day - d0).days / max((d1 - d0).days, 1)

    def y(v) -> float:
        return top + ph - (float(v) - lo) / (hi - lo) * ph

    unit_text = f"（{unit}）" if unit else ""
    summary = _("基準値 %(b)s%(u)s、目標値 %(t)s%(u)s（%(fy)s）、実績 %(a)s、評価 %(g)s") % {
        "b": _num(baseline),
        "t": _num(target),
        "u": unit,
        "fy": _("%(fy)s年度末") % {"fy": target_fy} if target_fy else "-",
        "a": "、".join(f"{_date(d)} {_num(v)}{unit}" + (_("（訂正）") if c else "") for d, v, c in points)
        or _("未記録"),
        "g": grade or "-",
    }
    out = [
        f'<svg class="kpi-chart" role="img" aria-labelledby="{uid}-t {uid}-d" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-t">{escape(name)}{escape(unit_text)}</title><desc id="{uid}-d">{escape(summary)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    # y axis: gridlines and values
    v = lo
    while v <= hi + step / 1000:
        yy = y(v)
        out.append(
            f'<line x1="{left}" y1="{yy:.1f}" x2="{left + pw}" y2="{yy:.1f}" stroke="#e0e0e0"/>'
            f'<text x="{left - 6}" y="{yy + 4:.1f}" font-size="12" text-anchor="end" fill="#1a1a1a">'
            f"{escape(_num(round(v, 6)))}</text>"
        )
        v += step
    out.append(
        f'<text x="{left - 6}" y="{top - 14}" font-size="12" text-anchor="end" fill="#1a1a1a">'
        f"{escape(unit or _('値'))}</text>"
    )
    # x axis: one tick per fiscal year (April 1), labelled with the year
    fy = fiscal_year(d0)
    fys = list(range(fy, fiscal_year(d1 - dt.timedelta(days=1)) + 1))
    label_every = 1 if len(fys) <= 6 else 2
    for n, f in enumerate(fys):
        start = fiscal_year_bounds(f)[0]
        xx = x(start)
        out.append(f'<line x1="{xx:.1f}" y1="{top}" x2="{xx:.1f}" y2="{top + ph + 5}" stroke="#bdbdbd"/>')
        if n % label_every == 0:
            out.append(
                f'<text x="{xx + 3:.1f}" y="{top + ph + 18}" font-size="12" fill="#1a1a1a">{start.year}/4</text>'
            )
    out.append(
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#1a1a1a"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#1a1a1a"/>'
    )
    if today is not None and d0 <= today < d1:
        xx = x(today)
        out.append(
            f'<line x1="{xx:.1f}" y1="{top}" x2="{xx:.1f}" y2="{top + ph}" stroke="#b00020" '
            f'stroke-dasharray="2 3"/><text x="{xx:.1f}" y="{top - 4}" font-size="11" text-anchor="middle" '
            f'fill="#b00020">{escape(_("今日"))}</text>'
        )
    # baseline and target lines, and the straight-line path between them
    if baseline is not None:
        yy = y(baseline)
        out.append(
            f'<line x1="{left}" y1="{yy:.1f}" x2="{left + pw}" y2="{yy:.1f}" stroke="#555555" '
            f'stroke-dasharray="1 3" stroke-width="1.5"/>'
        )
    if target is not None:
        yy = y(target)
        out.append(
            f'<line x1="{left}" y1="{yy:.1f}" x2="{left + pw}" y2="{yy:.1f}" stroke="#1d6b2f" '
            f'stroke-dasharray="8 4" stroke-width="1.5"/>'
            f'<text x="{left + pw - 2}" y="{yy - 5:.1f}" font-size="12" text-anchor="end" fill="#1d6b2f">'
            f"{escape(_('目標値'))} {escape(_num(target))}{escape(unit)}"
            f"{escape(_('（%(fy)s年度）') % {'fy': target_fy}) if target_fy else ''}</text>"
        )
    if baseline is not None and target is not None and baseline_date is not None and target_end is not None:
        out.append(
            f'<line x1="{x(baseline_date):.1f}" y1="{y(baseline):.1f}" x2="{x(target_end):.1f}" '
            f'y2="{y(target):.1f}" stroke="#4a4a4a" stroke-dasharray="4 3"/>'
        )
    if baseline is not None:
        bx = x(baseline_date) if baseline_date is not None else left
        out.append(
            f'<circle cx="{bx:.1f}" cy="{y(baseline):.1f}" r="3.5" fill="#555555"/>'
            f'<text x="{bx + 5:.1f}" y="{y(baseline) + 15:.1f}" font-size="12" fill="#1a1a1a">'
            f"{escape(_('基準値'))} {escape(_num(baseline))}</text>"
        )
    # actuals
    pts = [(x(d), y(val), val, c, d) for d, val, c in points]
    if len(pts) > 1:
        out.append(
            '<polyline fill="none" stroke="#0b4f9c" stroke-width="2.5" points="'
            + " ".join(f"{px:.1f},{py:.1f}" for px, py, *_r in pts)
            + '"/>'
        )
    for px, py, val, corrected, d in pts:
        tip = f"{_date(d)} {_num(val)}{unit}" + (_("（訂正）") if corrected else "")
        if corrected:
            out.append(
                f'<rect x="{px - 5:.1f}" y="{py - 5:.1f}" width="10" height="10" fill="#ffffff" '
                f'stroke="#0b4f9c" stroke-width="2"><title>{escape(tip)}</title></rect>'
                f'<text x="{px:.1f}" y="{py + 18:.1f}" font-size="11" text-anchor="middle" fill="#1a1a1a">'
                f"{escape(_('訂正'))}</text>"
            )
        else:
            out.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5" fill="#0b4f9c"><title>{escape(tip)}</title></circle>'
            )
        out.append(
            f'<text x="{px:.1f}" y="{py - 9:.1f}" font-size="12" text-anchor="middle" fill="#1a1a1a" '
            f'font-weight="bold">{escape(_num(val))}</text>'
        )
    # grade and legend
    out.append(
        f'<text x="{width - right}" y="16" font-size="14" text-anchor="end" fill="#1a1a1a" '
        f'font-weight="bold">{escape(_("評価"))} {escape(grade or "-")}</text>'
    )
    ly = height - 14
    out.append(
        f'<line x1="{left}" y1="{ly - 4}" x2="{left + 22}" y2="{ly - 4}" stroke="#0b4f9c" stroke-width="2.5"/>'
        f'<circle cx="{left + 11}" cy="{ly - 4}" r="4" fill="#0b4f9c"/>'
        f'<text x="{left + 28}" y="{ly}" font-size="12" fill="#1a1a1a">{escape(_("実績"))}</text>'
        f'<line x1="{left + 70}" y1="{ly - 4}" x2="{left + 96}" y2="{ly - 4}" stroke="#4a4a4a" '
        f'stroke-dasharray="4 3"/><text x="{left + 102}" y="{ly}" font-size="12" fill="#1a1a1a">'
        f"{escape(_('目標への直線'))}</text>"
        f'<rect x="{left + 200}" y="{ly - 9}" width="10" height="10" fill="#ffffff" stroke="#0b4f9c" '
        f'stroke-width="2"/><text x="{left + 216}" y="{ly}" font-size="12" fill="#1a1a1a">'
        f"{escape(_('訂正した値'))}</text>"
        f'<line x1="{left + 300}" y1="{ly - 4}" x2="{left + 326}" y2="{ly - 4}" stroke="#555555" '
        f'stroke-dasharray="1 3" stroke-width="1.5"/><text x="{left + 332}" y="{ly}" font-size="12" '
        f'fill="#1a1a1a">{escape(_("基準値"))}</text>'
    )
    out.append("</svg>")
    return mark_safe("".join(out))


def kpi_chart_for_card(card, *, today=None, width: int = 560, height: int = 280) -> SafeString:
    """kpi_chart for a dashboard KpiCard."""
    return kpi_chart(
        uid=f"kpi-{card.id}",
        name=card.name,
        unit=card.unit,
        baseline=card.baseline,
        baseline_date=card.baseline_date,
        target=card.target,
        target_fy=card.target_fy,
        points=[(d, v, d in card.corrected) for d, v in card.series],
        grade=card.grade,
        today=today,
        width=width,
        height=height,
    )


# --- 工程表 (Gantt) -------------------------------------------------------------------------------

GANTT_WIDTH = 720  # one fiscal year: 60 px a month


def _gantt_x(day, start, end) -> float:
    return GANTT_WIDTH * (day - start).days / max((end - start).days + 1, 1)


def gantt_header(*, fy: int, today) -> SafeString:
    """The fiscal year, its quarters (with their months and years) and month ticks; today marked."""
    import datetime as dt

    from core.fiscal import fiscal_year_bounds

    start, end = fiscal_year_bounds(fy)
    h = 62
    out = [
        f'<svg class="gantt-head" role="img" aria-label="{escape(_("%(fy)s年度（%(a)s〜%(b)s）") % {"fy": fy, "a": _date(start), "b": _date(end)})}" '
        f'viewBox="0 0 {GANTT_WIDTH} {h}" width="{GANTT_WIDTH}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for q in range(4):
        qs = dt.date(fy + (1 if q == 3 else 0), (4 + 3 * q - 1) % 12 + 1, 1)
        x0 = _gantt_x(qs, start, end)
        last = dt.date(qs.year + (qs.month + 2 > 12), (qs.month + 2 - 1) % 12 + 1, 1)
        out.append(
            f'<rect x="{x0:.1f}" y="0" width="{GANTT_WIDTH / 4:.1f}" height="22" fill="#e8f0fa" '
            f'stroke="#767676"/><text x="{x0 + GANTT_WIDTH / 8:.1f}" y="16" font-size="13" '
            f'text-anchor="middle" fill="#1a1a1a" font-weight="bold">Q{q + 1}（{qs.year}/{qs.month}〜'
            f"{last.month}）</text>"
        )
    for m in range(12):
        day = dt.date(fy + (1 if m >= 9 else 0), (3 + m) % 12 + 1, 1)
        xx = _gantt_x(day, start, end)
        label = f"{day.year}/{day.month}" if m in (0, 9) else f"{day.month}"
        out.append(
            f'<line x1="{xx:.1f}" y1="22" x2="{xx:.1f}" y2="{h}" stroke="#bdbdbd"/>'
            f'<text x="{xx + 3:.1f}" y="38" font-size="12" fill="#1a1a1a">{label}</text>'
        )
    if start <= today <= end:
        xx = _gantt_x(today, start, end)
        right = xx > GANTT_WIDTH - 110  # the label goes to the line's left near the year's end
        out.append(
            f'<line x1="{xx:.1f}" y1="44" x2="{xx:.1f}" y2="{h}" stroke="#b00020" stroke-width="2"/>'
            f'<text x="{xx + (-4 if right else 4):.1f}" y="57" font-size="11" '
            f'text-anchor="{"end" if right else "start"}" fill="#b00020" font-weight="bold">'
            f"{escape(_('今日'))} {_date(today)}</text>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))


def gantt_row(
    *,
    fy: int,
    today,
    start_fy: int | None,
    end_fy: int | None,
    milestones: list[dict],
    url_pattern: str = "",
    label: str = "",
) -> SafeString:
    """One measure in one fiscal year: a bar for its period (arrows where it continues into other years),
    its milestones as markers on their due dates (● 中間指標, ◆ 到達目標; filled when done, hollow when open,
    red with ! when overdue), each with its date, and today's line. Markers are links to the milestone."""
    from core.fiscal import fiscal_year_bounds

    start, end = fiscal_year_bounds(fy)
    h = 44
    out = [
        f'<svg class="gantt-row" role="group" aria-label="{escape(label)}" viewBox="0 0 {GANTT_WIDTH} {h}" '
        f'width="{GANTT_WIDTH}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for q in range(1, 4):
        xx = GANTT_WIDTH * q / 4
        out.append(f'<line x1="{xx}" y1="0" x2="{xx}" y2="{h}" stroke="#e0e0e0"/>')
    s_fy = start_fy if start_fy is not None else fy
    e_fy = end_fy if end_fy is not None else fy
    if s_fy <= fy <= e_fy:
        out.append(f'<rect x="2" y="10" width="{GANTT_WIDTH - 4}" height="12" rx="2" fill="#dce8f6" stroke="#0b4f9c"/>')
        if s_fy < fy:
            out.append('<path d="M2 16 L10 10 L10 22 Z" fill="#0b4f9c"/>')
        if e_fy > fy:
            out.append(
                f'<path d="M{GANTT_WIDTH - 2} 16 L{GANTT_WIDTH - 10} 10 L{GANTT_WIDTH - 10} 22 Z" fill="#0b4f9c"/>'
            )
    if start <= today <= end:
        xx = _gantt_x(today, start, end)
        out.append(f'<line x1="{xx:.1f}" y1="0" x2="{xx:.1f}" y2="{h}" stroke="#b00020" stroke-width="2"/>')
    last_label_x = -100.0
    for ms in milestones:
        due = ms["due_date"]
        if not start <= due <= end:
            continue
        xx = _gantt_x(due, start, end) + 0.5 * GANTT_WIDTH / 365
        done = ms["status"] == "done"
        late = ms.get("overdue")
        colour = "#b00020" if late else ("#1d6b2f" if done else "#1a1a1a")
        fill = colour if done else "#ffffff"
        goal = ms.get("kind") == "goal"
        tip = (
            f"{_date(due)} {ms['title']}（{ms.get('kind_label', '')}・{ms.get('status_label', '')}"
            + ("・" + _("期限超過") if late else "")
            + "）"
        )
        if goal:
            shape = (
                f'<path d="M{xx:.1f} 6 L{xx + 10:.1f} 16 L{xx:.1f} 26 L{xx - 10:.1f} 16 Z" fill="{fill}" '
                f'stroke="{colour}" stroke-width="2.5"/>'
            )
        else:
            shape = f'<circle cx="{xx:.1f}" cy="16" r="7" fill="{fill}" stroke="{colour}" stroke-width="2.5"/>'
        if late:
            shape += (
                f'<text x="{xx:.1f}" y="20.5" font-size="12" font-weight="bold" text-anchor="middle" '
                f'fill="#b00020">!</text>'
            )
        anchor = "start" if xx < 30 else ("end" if xx > GANTT_WIDTH - 30 else "middle")
        text = f"{due.month}/{due.day}"
        if ms.get("baseline_due_date"):  # a moved due date: the original beside it
            text += f"（{_('当初')}{ms['baseline_due_date'].month}/{ms['baseline_due_date'].day}）"
        if xx - last_label_x >= 36:  # a label only where it does not collide (the tooltip and list have all)
            shape += (
                f'<text x="{xx:.1f}" y="39" font-size="11" text-anchor="{anchor}" fill="{colour}">{escape(text)}</text>'
            )
            last_label_x = xx
        body = f"<title>{escape(tip)}</title>{shape}"
        if url_pattern:
            out.append(f'<a href="{url_pattern.format(ms["id"])}" aria-label="{escape(tip)}">{body}</a>')
        else:
            out.append(f"<g>{body}</g>")
    out.append("</svg>")
    return mark_safe("".join(out))


# --- comparison heat map --------------------------------------------------------------------------

HEAT_BANDS = [
    (75, "#0b3d7a", "#ffffff"),
    (50, "#2f6fb5", "#ffffff"),
    (25, "#9cc3ea", "#1a1a1a"),
    (0, "#e3eef9", "#1a1a1a"),
]


def heat_map(comparison, *, title: str) -> SafeString:
    """Municipalities (rows) × national items (columns): each cell prints its percent (and ✖ with the number
    of late measures), shaded darker as progress rises; "—" where no measure serves the item."""
    rows, items = comparison.rows, comparison.items
    if not rows or not items:
        return mark_safe("")
    cw, ch, lw, top = 60, 30, 170, 40
    width, height = lw + cw * len(items) + 4, top + ch * len(rows) + 40
    out = [
        f'<svg class="heat-map" role="img" aria-labelledby="heat-t heat-d" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="heat-t">{escape(title)}</title>'
        f'<desc id="heat-d">{escape(_("各欄の数値は下の比較表と同じです。"))}</desc>'
    ]
    for n, item in enumerate(items):
        xx = lw + n * cw + cw / 2
        out.append(
            f'<text x="{xx:.1f}" y="{top - 22}" font-size="12" text-anchor="middle" fill="#1a1a1a" '
            f'font-weight="bold">{item.number}</text><text x="{xx:.1f}" y="{top - 8}" font-size="10" '
            f'text-anchor="middle" fill="#1a1a1a">{escape((item.short_name or item.name)[:5])}</text>'
        )
    for r, row in enumerate(rows):
        yy = top + r * ch
        label = row.label if len(row.label) <= 12 else row.label[:11] + "…"
        out.append(
            f'<text x="{lw - 8}" y="{yy + 20}" font-size="13" text-anchor="end" fill="#1a1a1a">{escape(label)}</text>'
        )
        for n, cell in enumerate(row.cells):
            xx = lw + n * cw
            pct = cell.percent if cell.measures else None
            if pct is None:
                fill, fg, text = "#ffffff", "#555555", "—"
            else:
                fill, fg = next((f, t) for lo, f, t in HEAT_BANDS if pct >= lo)
                text = f"{pct}%" + (f" ✖{cell.late}" if cell.late else "")
            out.append(
                f'<rect x="{xx + 1}" y="{yy + 1}" width="{cw - 2}" height="{ch - 2}" fill="{fill}" '
                f'stroke="#767676"/><text x="{xx + cw / 2:.1f}" y="{yy + 20}" font-size="11" '
                f'text-anchor="middle" fill="{fg}">{escape(text)}</text>'
            )
    ly = top + len(rows) * ch + 24
    x0 = lw
    for lo, fill, _fg in reversed(HEAT_BANDS):
        out.append(
            f'<rect x="{x0}" y="{ly - 11}" width="14" height="14" fill="{fill}" stroke="#767676"/>'
            f'<text x="{x0 + 18}" y="{ly}" font-size="12" fill="#1a1a1a">{lo}%〜</text>'
        )
        x0 += 76
    out.append(
        f'<text x="{x0 + 4}" y="{ly}" font-size="12" fill="#1a1a1a">'
        f"{escape(_('✖n: 遅延の施策の数 / —: 施策なし'))}</text>"
    )
    out.append("</svg>")
    return mark_safe("".join(out))
