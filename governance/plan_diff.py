"""The 新旧対照表 of two versions of a plan: every changed field as 旧 | 新, added and removed rows marked.

Rows are matched by their codes (施策の柱コード, 施策コード, マイルストーンコード, 指標コード), as the import matches
them, so a measure keeps its identity across versions. Progress (status, % done, completion dates, KPI actuals)
is not part of a plan's content and is not compared: a revision changes what the plan says, not what was done.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.fiscal import format_fiscal_year
from core.formulas import neutralise
from measures.models import Indicator, Measure
from milestones.models import Milestone
from plans.models import Pillar, Plan


class Change:
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"

    LABELS = {CHANGED: gettext_lazy("変更"), ADDED: gettext_lazy("追加"), REMOVED: gettext_lazy("削除")}


@dataclass(frozen=True)
class DiffRow:
    section: str  # 計画 / 施策の柱 / 施策 / マイルストーン / 指標
    code: str
    name: str
    change: str  # Change.*
    field: str  # the changed field's label; blank for an added or removed row
    old: str
    new: str

    @property
    def change_label(self) -> str:
        return str(Change.LABELS[self.change])


def _fy(value) -> str:
    return format_fiscal_year(value) if value else ""


def _text(value) -> str:
    if value is None:
        return ""
    return str(value)


# (label, how to read the value as text) per section. Codes match rows; these are what is compared.
PLAN_FIELDS: list[tuple[str, Callable]] = [
    (gettext_lazy("計画名"), lambda p: p.title),
    (gettext_lazy("目指す姿"), lambda p: p.vision),
    (gettext_lazy("計画期間（開始年度）"), lambda p: _fy(p.start_fy)),
    (gettext_lazy("計画期間（終了年度）"), lambda p: _fy(p.end_fy)),
    (gettext_lazy("準拠する国の計画"), lambda p: p.edition.name),
]
PILLAR_FIELDS: list[tuple[str, Callable]] = [
    (gettext_lazy("施策の柱"), lambda p: p.name),
    (gettext_lazy("上位の柱"), lambda p: p.parent.code if p.parent_id else ""),
]
MEASURE_FIELDS: list[tuple[str, Callable]] = [
    (gettext_lazy("施策名"), lambda m: m.title),
    (gettext_lazy("概要"), lambda m: m.summary),
    (gettext_lazy("現状・課題"), lambda m: m.current_issues),
    (gettext_lazy("担当部署"), lambda m: m.owner_department.name),
    (gettext_lazy("施策の柱"), lambda m: m.pillar.code if m.pillar_id else ""),
    (
        gettext_lazy("国の取組項目"),
        lambda m: "、".join(str(i.number) for i in sorted(m.national_items.all(), key=lambda i: i.number)),
    ),
    (gettext_lazy("開始年度"), lambda m: _fy(m.start_fy)),
    (gettext_lazy("終了年度"), lambda m: _fy(m.end_fy)),
    (gettext_lazy("予算（千円）"), lambda m: _text(m.budget_thousand_yen)),
]
MILESTONE_FIELDS: list[tuple[str, Callable]] = [
    (gettext_lazy("マイルストーン名"), lambda m: m.title),
    (gettext_lazy("施策コード"), lambda m: m.measure.code),
    (gettext_lazy("種別"), lambda m: m.get_kind_display()),
    (gettext_lazy("期限"), lambda m: f"{m.due_date:%Y/%m/%d}"),
    (gettext_lazy("担当部署"), lambda m: m.owner_department.name),
]
INDICATOR_FIELDS: list[tuple[str, Callable]] = [
    (gettext_lazy("指標名"), lambda i: i.name),
    (gettext_lazy("施策コード"), lambda i: i.measure.code),
    (gettext_lazy("単位"), lambda i: i.unit),
    (gettext_lazy("方向"), lambda i: i.get_direction_display()),
    (gettext_lazy("基準値"), lambda i: _decimal(i.baseline_value)),
    (gettext_lazy("目標値"), lambda i: _decimal(i.target_value)),
    (gettext_lazy("目標年度"), lambda i: _fy(i.target_fy)),
]


def _decimal(value) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f")


def _compare(section: str, old: dict, new: dict, fields: list[tuple[str, Callable]], name: Callable) -> list[DiffRow]:
    rows: list[DiffRow] = []
    for code in sorted(old.keys() | new.keys()):
        before, after = old.get(code), new.get(code)
        if before is None:
            rows.append(DiffRow(section, code, name(after), Change.ADDED, "", "", name(after)))
        elif after is None:
            rows.append(DiffRow(section, code, name(before), Change.REMOVED, "", name(before), ""))
        else:
            for label, read in fields:
                a, b = read(before), read(after)
                if a != b:
                    rows.append(DiffRow(section, code, name(after), Change.CHANGED, str(label), a, b))
    return rows


def _load(plan: Plan) -> tuple[dict, dict, dict, dict]:
    """The plan's rows by code (5 queries)."""
    pillars = {p.code: p for p in Pillar.objects.filter(plan=plan).select_related("parent")}
    measures = {
        m.code: m
        for m in Measure.objects.filter(plan=plan)
        .select_related("owner_department", "pillar")
        .prefetch_related("national_items")
    }
    milestones = {m.code: m for m in Milestone.objects.filter(plan=plan).select_related("measure", "owner_department")}
    indicators = {i.code: i for i in Indicator.objects.filter(plan=plan).select_related("measure")}
    return pillars, measures, milestones, indicators


def plan_diff(*, old: Plan, new: Plan) -> list[DiffRow]:
    """The 新旧対照表 of two plans of the same municipality (about 11 queries whatever their size)."""
    if old.municipality_id != new.municipality_id:
        raise ValidationError(
            _("異なる自治体の計画（%(old)s と %(new)s）は比較できません。同じ自治体の計画を選んでください。")
            % {"old": old.municipality.name, "new": new.municipality.name}
        )
    if old.pk == new.pk:
        raise ValidationError(_("同じ計画どうしは比較できません。改定前と改定後の計画を選んでください。"))
    section_plan = _("計画")
    rows = [
        DiffRow(section_plan, new.code, new.title, Change.CHANGED, str(label), read(old), read(new))
        for label, read in PLAN_FIELDS
        if read(old) != read(new)
    ]
    o_pillars, o_measures, o_milestones, o_indicators = _load(old)
    n_pillars, n_measures, n_milestones, n_indicators = _load(new)
    rows += _compare(_("施策の柱"), o_pillars, n_pillars, PILLAR_FIELDS, lambda p: p.name)
    rows += _compare(_("施策"), o_measures, n_measures, MEASURE_FIELDS, lambda m: m.title)
    rows += _compare(_("マイルストーン"), o_milestones, n_milestones, MILESTONE_FIELDS, lambda m: m.title)
    rows += _compare(_("指標"), o_indicators, n_indicators, INDICATOR_FIELDS, lambda i: i.name)
    return rows


def diff_headers() -> list[str]:
    return [_("区分"), _("コード"), _("名称"), _("変更"), _("項目"), _("旧"), _("新")]


def diff_workbook(*, old: Plan, new: Plan, rows: list[DiffRow]) -> bytes:
    """The 新旧対照表 as .xlsx. Text cells that a spreadsheet would run as a formula are neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("新旧対照表")
    ws.append([neutralise(_("%(title)s 新旧対照表") % {"title": new.title})])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            neutralise(
                _("旧: %(old)s（第%(ov)s版） / 新: %(new)s（第%(nv)s版）")
                % {"old": old.title, "ov": old.version, "new": new.title, "nv": new.version}
            )
        ]
    )
    ws.append([])
    ws.append(diff_headers())
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([neutralise(str(v)) for v in (r.section, r.code, r.name, r.change_label, r.field, r.old, r.new)])
    if not rows:
        ws.append([_("変更はありません。")])
    for column, width in zip("ABCDEFG", (12, 16, 30, 8, 18, 50, 50), strict=True):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows(min_row=5):
        for cell in row[5:7]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A5"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
