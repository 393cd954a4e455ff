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
            parts.append(f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
                         f'<rect width="8" height="8" fill="{colour}"/></pattern>')
        elif kind == "dots":
            parts.append(f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse">'
                         f'<rect width="6" height="6" fill="{colour}"/><circle cx="3" cy="3" r="1.2" fill="#fff"/>'
                         "</pattern>")
        elif kind == "hatch":
            parts.append(f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
                         f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
                         '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern>')
        elif kind == "cross":
            parts.append(f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse">'
                         f'<rect width="6" height="6" fill="{colour}"/>'
                         '<path d="M0 0L6 6M6 0L0 6" stroke="#fff" stroke-width="1.2"/></pattern>')
        else:
            parts.append(f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse">'
                         f'<rect width="6" height="6" fill="#ffffff"/>'
                         f'<rect width="5" height="5" fill="none" stroke="{colour}"/></pattern>')
    parts.append("</defs>")
    return "".join(parts)


def progress_bars(rows, *, title: str, desc: str, uid: str = "items") -> SafeString:
    """Horizontal bars: one per group row (label, percent, health). Empty groups say so in text."""
    bar_h, gap, label_w, bar_w, right = 22, 8, 300, 360, 150
    height = len(rows) * (bar_h + gap) + 30
    width = label_w + bar_w + right
    out = [f'<svg class="chart" role="img" aria-labelledby="{uid}-title {uid}-desc" viewBox="0 0 {width} {height}" '
           f'width="100%" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(desc)}</desc>', _defs(uid)]
    for tick in (0, 50, 100):
        x = label_w + bar_w * tick / 100
        out.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 24}" stroke="#c8c8c8"/>'
                   f'<text x="{x}" y="{height - 8}" font-size="12" text-anchor="middle" fill="#1a1a1a">{tick}%</text>')
    for n, row in enumerate(rows):
        y = n * (bar_h + gap) + 4
        label = row.label if len(row.label) <= 22 else row.label[:21] + "…"
        prefix = f"{row.number}. " if getattr(row, "number", None) else ""
        out.append(f'<text x="{label_w - 8}" y="{y + 16}" font-size="13" text-anchor="end" fill="#1a1a1a">'
                   f"{escape(prefix + label)}</text>")
        out.append(f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{bar_h}" fill="#f2f2f2" stroke="#767676"/>')
        if row.percent is None:
            text = _("施策なし")
        else:
            w = bar_w * row.percent / 100
            out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                       f'fill="url(#{uid}-pat-{row.health})" stroke="{PATTERNS[row.health][0]}"/>')
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
        "b": card.baseline if card.baseline is not None else "-", "t": card.target if card.target is not None else "-",
        "a": ", ".join(f"{d:%Y-%m-%d}: {v.normalize():f}" for d, v in card.series) or "-"}
    out = [f'<svg class="spark" role="img" aria-label="{escape(card.name)}: {escape(desc)}" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    if card.baseline is not None and card.target is not None:
        out.append(f'<line x1="{pad}" y1="{y(float(card.baseline)):.1f}" x2="{width - pad}" '
                   f'y2="{y(float(card.target)):.1f}" stroke="#4a4a4a" stroke-dasharray="4 3"/>'
                   f'<text x="{width - pad}" y="{y(float(card.target)) - 4:.1f}" font-size="10" text-anchor="end" '
                   f'fill="#1a1a1a">{escape(_("目標"))}</text>')
    pts = []
    for i, (_d, v) in enumerate(card.series):
        x = pad + (width - 2 * pad) * (i + 1) / (n + 1)
        pts.append((x, y(float(v)), v))
    if len(pts) > 1:
        out.append('<polyline fill="none" stroke="#0b4f9c" stroke-width="2" points="'
                   + " ".join(f"{x:.1f},{yy:.1f}" for x, yy, _v in pts) + '"/>')
    for x, yy, v in pts:
        out.append(f'<rect x="{x - 3:.1f}" y="{yy - 3:.1f}" width="6" height="6" fill="#0b4f9c"/>'
                   f'<text x="{x:.1f}" y="{yy - 6:.1f}" font-size="10" text-anchor="middle" fill="#1a1a1a">'
                   f"{escape(f'{v.normalize():f}')}</text>")
    out.append("</svg>")
    return mark_safe("".join(out))
