"""The multi-sheet plan workbook: read → validate → diff against the database (the preview) → apply all of it
in one transaction.

django-import-export imports one model at a time and row by row; a plan workbook is four sheets that refer to
each other (milestones → measures → departments), so the preview has to see them all before anything is
written. The sheet Resources (resources.py) supply the columns and the cell parsing; this module adds the
cross-sheet checks, the natural-key diff and the bulk, all-or-nothing write.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.fiscal import format_fiscal_year
from evaluations.models import EvaluationRound, MeasureEvaluation
from measures.models import Indicator, IndicatorValue, Measure
from milestones.models import Milestone
from plans.models import Department, NationalItem, Pillar, Plan

from . import parsing
from .reading import ImportFileError, RawSheet, read_file
from .resources import (
    AUDIENCE,
    CHANGE_LEVEL,
    CHANNEL,
    DIRECTION,
    EVALUATION_DIRECTION,
    KIND,
    REQUIRED_SHEETS,
    SHEET_RESOURCES,
    STATUS,
    TAGS,
    DepartmentResource,
    EvaluationResource,
    IndicatorResource,
    MeasureResource,
    MilestoneResource,
    SheetResource,
    measure_tags,
)

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
EVALUATION_FIELDS = ("achievements", "self_grade", "outcomes", "issues", "direction", "settled_cost_thousand_yen",
                     "hours_saved_per_year", "evidence_links")
PREVIEW_ROW_LIMIT = 500  # changed/new rows listed per sheet on the preview page (counts are always exact)

SHEET_ALIASES = {
    "部署": ("departments", "department", "部署一覧"),
    "施策": ("measures", "measure", "施策一覧"),
    "マイルストーン": ("milestones", "milestone", "工程", "工程表"),
    "指標": ("indicators", "indicator", "kpi", "kpis", "指標(kpi)"),
    "年度評価": ("evaluations", "evaluation", "評価", "事業評価"),
}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    for mark in ("*", "※", "(必須)", "必須"):
        text = text.replace(mark, "")
    return text.replace(" ", "").replace("　", "")


@dataclass
class RowError:
    sheet: str
    row: int | None
    column: str
    value: str
    message: str

    def as_text(self) -> str:
        where = f"シート「{self.sheet}」" if self.sheet else "ファイル"
        if self.row:
            where += f" {self.row}行目"
        if self.column:
            where += f" 列「{self.column}」"
        value = f" 値「{self.value}」" if self.value else ""
        return f"{where}{value}: {self.message}"

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "value": self.value,
                "message": self.message}


@dataclass
class FieldChange:
    column: str
    before: str
    after: str


@dataclass
class RowDiff:
    row: int
    key: str
    action: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class SheetReport:
    name: str
    present: bool = False
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    diffs: list[RowDiff] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def add(self, diff: RowDiff) -> None:
        setattr(self, diff.action, getattr(self, diff.action) + 1)
        if diff.action != UNCHANGED and len(self.diffs) < PREVIEW_ROW_LIMIT:
            self.diffs.append(diff)


@dataclass
class Preview:
    """What an import would do: per-sheet counts, diffs and errors; `work` holds the validated rows to write."""

    file_name: str
    sheets: dict[str, SheetReport]
    file_errors: list[RowError] = field(default_factory=list)
    work: Any = None  # _Work, kept for apply

    @property
    def errors(self) -> list[RowError]:
        return self.file_errors + [e for s in self.sheets.values() for e in s.errors]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return {name: {"new": s.new, "changed": s.changed, "unchanged": s.unchanged, "errors": len(s.errors)}
                for name, s in self.sheets.items() if s.present}

    @property
    def has_changes(self) -> bool:
        return any(s.new or s.changed for s in self.sheets.values())


# --- display of values --------------------------------------------------------------------------


def display(value: object, kind: str = "") -> str:
    if value is None or value == "" or value == ():
        return "（空欄）"
    if kind == "status":
        return STATUS.label(value)
    if kind == "kind":
        return KIND.label(value)
    if kind == "direction":
        return DIRECTION.label(value)
    if kind == "change_level":
        return CHANGE_LEVEL.label(value)
    if kind == "channel":
        return CHANNEL.label(value)
    if kind == "audience":
        return AUDIENCE.label(value)
    if kind == "evaluation_direction":
        return EVALUATION_DIRECTION.label(value)
    if kind == "tags":
        return "、".join(TAGS.get(v, v) for v in value)
    if kind == "fy":
        return f"{value}（{format_fiscal_year(value)}）"
    if isinstance(value, tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return f"{value.year}/{value.month}/{value.day}"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def _same(before: object, after: object) -> bool:
    """Equal for the import: blank text equals NULL, 50 equals 50.0000."""
    if before in (None, "") and after in (None, ""):
        return True
    return before == after  # Decimal("50.0000") == Decimal("50")


# --- the work: parsed rows plus the database state they are compared with -----------------------


@dataclass
class _Row:
    number: int  # as Excel shows it
    values: dict[str, Any]  # cleaned cells by field name (absent column → absent key)
    sheet: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # field name → header as written in the file
    ok: bool = True
    after: dict[str, Any] = field(default_factory=dict)  # the values the object will have
    action: str = ""
    existing_id: int | None = None
    changed_fields: list[str] = field(default_factory=list)


@dataclass
class _Work:
    plan: Plan
    departments: list[_Row] = field(default_factory=list)
    measures: list[_Row] = field(default_factory=list)
    milestones: list[_Row] = field(default_factory=list)
    indicators: list[_Row] = field(default_factory=list)
    evaluations: list[_Row] = field(default_factory=list)
    new_pillars: dict[str, str] = field(default_factory=dict)  # name → code to create
    # database state
    db_departments: dict[str, dict] = field(default_factory=dict)
    db_pillars_by_code: dict[str, dict] = field(default_factory=dict)
    db_pillars_by_name: dict[str, dict] = field(default_factory=dict)
    db_measures: dict[str, dict] = field(default_factory=dict)
    db_milestones: dict[str, dict] = field(default_factory=dict)
    db_indicators: dict[str, dict] = field(default_factory=dict)
    db_values: dict[tuple[int, dt.date], tuple[int, Decimal]] = field(default_factory=dict)
    item_ids: dict[int, int] = field(default_factory=dict)  # national item number → id
    db_rounds: dict[int, dict] = field(default_factory=dict)  # fiscal year → evaluation round
    db_evaluations: dict[tuple[int, str], dict] = field(default_factory=dict)  # (fiscal year, measure code) →


def _load_state(plan: Plan) -> _Work:
    work = _Work(plan=plan)
    dept_code_by_id = {}
    for d in Department.objects.filter(municipality_id=plan.municipality_id).values(
            "id", "code", "name", "parent_id", "email"):
        dept_code_by_id[d["id"]] = d["code"]
        work.db_departments[d["code"]] = d
    for d in work.db_departments.values():
        d["parent_code"] = dept_code_by_id.get(d["parent_id"], "")
    for p in Pillar.objects.filter(plan=plan).values("id", "code", "name"):
        work.db_pillars_by_code[p["code"]] = p
        work.db_pillars_by_name.setdefault(_norm(p["name"]), p)
    pillar_name_by_id = {p["id"]: p["name"] for p in work.db_pillars_by_code.values()}
    items = list(NationalItem.objects.filter(edition_id=plan.edition_id).values("id", "number"))
    work.item_ids = {i["number"]: i["id"] for i in items}
    number_by_item_id = {i["id"]: i["number"] for i in items}
    items_by_measure: dict[int, list[int]] = {}
    through = Measure.national_items.through
    for measure_id, item_id in through.objects.filter(measure__plan=plan).values_list("measure_id", "nationalitem_id"):
        items_by_measure.setdefault(measure_id, []).append(number_by_item_id.get(item_id, 0))
    measure_code_by_id = {}
    for m in Measure.objects.filter(plan=plan).values(
            "id", "code", "title", "summary", "current_issues", "owner_department_id", "pillar_id", "start_fy",
            "end_fy", "budget_thousand_yen", "change_level", "channel", "audience", "is_gx", "is_wellbeing"):
        m["tags"] = measure_tags(m.pop("is_gx"), m.pop("is_wellbeing"))
        m["national_items"] = tuple(sorted(items_by_measure.get(m["id"], ())))
        m["owner_department"] = dept_code_by_id.get(m["owner_department_id"], "")
        m["pillar"] = pillar_name_by_id.get(m["pillar_id"], "")
        measure_code_by_id[m["id"]] = m["code"]
        work.db_measures[m["code"]] = m
    for ms in Milestone.objects.filter(plan=plan).values(
            "id", "code", "measure_id", "title", "kind", "due_date", "owner_department_id", "status",
            "completed_on", "version"):
        ms["measure_code"] = measure_code_by_id.get(ms["measure_id"], "")
        ms["owner_department"] = dept_code_by_id.get(ms["owner_department_id"], "")
        work.db_milestones[ms["code"]] = ms
    for k in Indicator.objects.filter(plan=plan).values(
            "id", "code", "measure_id", "name", "unit", "direction", "baseline_value", "baseline_date",
            "target_value", "target_fy"):
        k["measure_code"] = measure_code_by_id.get(k["measure_id"], "")
        work.db_indicators[k["code"]] = k
    for v in IndicatorValue.objects.filter(indicator__plan=plan, is_current=True).values(
            "id", "indicator_id", "as_of", "value"):
        work.db_values[(v["indicator_id"], v["as_of"])] = (v["id"], v["value"])
    for r in EvaluationRound.objects.filter(plan=plan).values("id", "fiscal_year", "state", "grade_scale"):
        r["grades"] = [g.strip() for g in r["grade_scale"].split(",") if g.strip()]
        work.db_rounds[r["fiscal_year"]] = r
    for e in MeasureEvaluation.objects.filter(round__plan=plan).values(
            "id", "round_id", "round__fiscal_year", "measure_id", "state", *EVALUATION_FIELDS):
        e["fiscal_year"] = e.pop("round__fiscal_year")
        e["measure_code"] = measure_code_by_id.get(e["measure_id"], "")
        work.db_evaluations[(e["fiscal_year"], e["measure_code"])] = e
    return work


# --- preview ------------------------------------------------------------------------------------


def build_preview(*, plan: Plan, data: bytes, file_name: str) -> Preview:
    sheets = {r.sheet_name: SheetReport(name=r.sheet_name) for r in SHEET_RESOURCES}
    preview = Preview(file_name=file_name, sheets=sheets)
    try:
        raw_sheets = read_file(data, file_name)
    except ImportFileError as exc:
        preview.file_errors.append(RowError("", None, "", "", str(exc)))
        return preview

    matched = _match_sheets(raw_sheets, file_name, preview)
    if preview.file_errors:
        return preview

    work = _load_state(plan)
    items = parsing.NationalItemLookup(NationalItem.objects.filter(edition_id=plan.edition_id))
    departments = parsing.DepartmentLookup((d["code"], d["name"]) for d in work.db_departments.values())
    if "部署" in matched:
        # Departments named in the file can be referred to by the other sheets.
        raw = matched["部署"]
        header_map = _header_map(DepartmentResource, raw, sheets["部署"])
        work.departments = _clean_rows(DepartmentResource(), raw, header_map, sheets["部署"])
        for row in work.departments:
            if row.values.get("code") and row.values.get("name"):
                departments.add(row.values["code"], row.values["name"])
    for resource_class, target in ((MeasureResource, "measures"), (MilestoneResource, "milestones"),
                                   (IndicatorResource, "indicators"), (EvaluationResource, "evaluations")):
        name = resource_class.sheet_name
        if name in matched:
            raw = matched[name]
            header_map = _header_map(resource_class, raw, sheets[name])
            if header_map is not None:
                resource = resource_class(national_items=items, departments=departments)
                setattr(work, target, _clean_rows(resource, raw, header_map, sheets[name]))

    _check_departments(work, sheets["部署"])
    _check_measures(work, sheets["施策"])
    _check_milestones(work, sheets["マイルストーン"])
    _check_indicators(work, sheets["指標"])
    _check_evaluations(work, sheets["年度評価"])
    preview.work = work
    return preview


def _match_sheets(raw_sheets: list[RawSheet], file_name: str, preview: Preview) -> dict[str, RawSheet]:
    lookup = {}
    for resource in SHEET_RESOURCES:
        lookup[_norm(resource.sheet_name)] = resource.sheet_name
        for alias in SHEET_ALIASES[resource.sheet_name]:
            lookup[_norm(alias)] = resource.sheet_name
    matched: dict[str, RawSheet] = {}
    is_csv = file_name.lower().endswith(".csv")
    for raw in raw_sheets:
        target = lookup.get(_norm(raw.name))
        if target is None and is_csv:
            target = _guess_sheet(raw)
        if target is None:
            continue
        if target in matched:
            preview.file_errors.append(RowError(raw.name, None, "", "", f"シート「{target}」が2つあります。1つにまとめてください。"))
            continue
        matched[target] = raw
        preview.sheets[target].present = True
    if is_csv:
        if not matched:
            expected = "／".join(f"{r.sheet_name}: {'、'.join(r.header_of(f) for f in r.required)}" for r in SHEET_RESOURCES)
            found = "、".join(raw_sheets[0].headers) if raw_sheets else ""
            preview.file_errors.append(RowError(
                "", 1, "", "", f"CSV がどのシートのものか判別できません。必須の列をそろえてください（{expected}）。見つかった列: {found or 'なし'}"))
        return matched
    missing = [name for name in REQUIRED_SHEETS if name not in matched]
    if missing:
        found = "、".join(raw.name for raw in raw_sheets) or "なし"
        preview.file_errors.append(RowError(
            "", None, "", "", f"シート「{'」「'.join(missing)}」がありません。必要なシート: 施策、マイルストーン、指標"
                              f"（部署と年度評価は任意）。見つかったシート: {found}"))
    return matched


def _guess_sheet(raw: RawSheet) -> str | None:
    best, best_score = None, 0
    for resource in SHEET_RESOURCES:
        lookup = _column_lookup(resource)
        found = {lookup.get(_norm(h)) for h in raw.headers} - {None}
        if all(f in found for f in resource.required) and len(found) > best_score:
            best, best_score = resource.sheet_name, len(found)
    return best


def _column_lookup(resource: type[SheetResource]) -> dict[str, str]:
    lookup = {}
    for name, _fld in resource.column_fields():
        for alias in resource.aliases.get(name, ()):
            lookup.setdefault(_norm(alias), name)
    for name, fld in resource.column_fields():
        lookup[_norm(fld.column_name)] = name  # the Japanese header wins over any alias
    return lookup


def _header_map(resource: type[SheetResource], raw: RawSheet, report: SheetReport) -> dict[int, str] | None:
    """Column index → field name, or None (with an error) when a required column is missing."""
    lookup = _column_lookup(resource)
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, header in enumerate(raw.headers):
        name = lookup.get(_norm(header)) if header else None
        if name is None:
            continue
        if name in seen:
            report.errors.append(RowError(raw.name, 1, header, "", f"列「{resource.header_of(name)}」が2つあります（「{seen[name]}」と「{header}」）。"))
            return None
        seen[name] = header
        mapping[index] = name
    missing = [resource.header_of(f) for f in resource.required if f not in seen]
    if missing:
        expected = "、".join(fld.column_name for _, fld in resource.column_fields())
        found = "、".join(h for h in raw.headers if h) or "なし"
        report.errors.append(RowError(
            raw.name, 1, "、".join(missing), "",
            f"必須の列「{'」「'.join(missing)}」がありません。1行目に見出しが必要です。期待する見出し: {expected}。見つかった見出し: {found}"))
        return None
    return mapping


def _clean_rows(resource: SheetResource, raw: RawSheet, header_map: dict[int, str] | None,
                report: SheetReport) -> list[_Row]:
    if header_map is None:
        return []
    rows = []
    widgets = {name: resource.fields[name].widget for name in header_map.values()}
    headers = {name: raw.headers[index] for index, name in header_map.items()}
    for number, values in raw.rows:
        cleaned: dict[str, Any] = {}
        ok = True
        for index, name in header_map.items():
            value = values[index] if index < len(values) else None
            if (number, index) in raw.formulas:
                report.errors.append(RowError(raw.name, number, headers[name], str(value),
                                              "数式は使えません。値として貼り付け（「値のみ貼り付け」）してください。"))
                ok = False
                continue
            widget = widgets[name]
            if name in resource.required and parsing.is_blank(value):
                report.errors.append(RowError(raw.name, number, headers[name], "", "必須の項目です。入力してください。"))
                ok = False
                continue
            try:
                cleaned[name] = widget.clean(value)
            except parsing.CellError as exc:
                report.errors.append(RowError(raw.name, number, headers[name], _shown(value), str(exc)))
                ok = False
        rows.append(_Row(number=number, values=cleaned, sheet=raw.name, headers=headers, ok=ok))
    return rows


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return display(value if not isinstance(value, dt.datetime) else value.date())
    return str(value)[:100]


def _error(report: SheetReport, row: _Row, name: str, value: object, message: str) -> None:
    header = row.headers.get(name) or name
    shown = display(value) if isinstance(value, tuple) else _shown(value)
    report.errors.append(RowError(row.sheet, row.number, header, shown, message))
    row.ok = False


def _duplicates(rows: list[_Row], report: SheetReport, key: str = "code") -> None:
    first: dict[str, int] = {}
    for row in rows:
        code = row.values.get(key)
        if not code:
            continue
        if code in first:
            _error(report, row, key, code, f"コード「{code}」が{first[code]}行目と重複しています。コードはシート内で一意にしてください。")
        else:
            first[code] = row.number


def _diff(row: _Row, before: dict | None, after: dict[str, Any], resource: type[SheetResource],
          report: SheetReport, kinds: dict[str, str] | None = None) -> None:
    kinds = kinds or {}
    if before is None:
        row.action = NEW
        listed = len(report.diffs) < PREVIEW_ROW_LIMIT  # beyond the listed rows only the counts matter
        report.add(RowDiff(row.number, after.get("code", ""), NEW,
                           [FieldChange(resource.header_of(n), "", display(v, kinds.get(n))) for n, v in after.items()
                            if v not in (None, "", ())] if listed else []))
        return
    row.existing_id = before["id"]
    changes = []
    for name, value in after.items():
        old = before.get(name)
        if not _same(old, value):
            row.changed_fields.append(name)
            changes.append(FieldChange(resource.header_of(name), display(old, kinds.get(name)),
                                       display(value, kinds.get(name))))
    row.action = CHANGED if changes else UNCHANGED
    report.add(RowDiff(row.number, after.get("code", ""), row.action, changes))


def _check_departments(work: _Work, report: SheetReport) -> None:
    rows = work.departments
    _duplicates(rows, report)
    codes_in_file = {r.values.get("code"): r for r in rows if r.values.get("code")}
    parent_of = {code: d["parent_code"] for code, d in work.db_departments.items()}
    for row in rows:
        if row.ok and row.values.get("parent_code"):
            parent_of[row.values["code"]] = row.values["parent_code"]
    for row in rows:
        if not row.ok:
            continue
        v = row.values
        parent = v.get("parent_code", "")
        if parent:
            if parent == v["code"]:
                _error(report, row, "parent_code", parent, "自分自身を上位部署にはできません。")
                continue
            if parent not in codes_in_file and parent not in work.db_departments:
                _error(report, row, "parent_code", parent, f"上位部署「{parent}」が見つかりません。")
                continue
            seen, node = {v["code"]}, parent
            while node:
                if node in seen:
                    _error(report, row, "parent_code", parent, "部署の親子関係が循環しています。")
                    break
                seen.add(node)
                node = parent_of.get(node, "")
            if not row.ok:
                continue
        after = {"code": v["code"], "name": v["name"], "parent_code": parent, "email": v.get("email", "")}
        if "email" not in v and v["code"] in work.db_departments:
            after["email"] = work.db_departments[v["code"]]["email"]  # column absent: keep
        _diff(row, work.db_departments.get(v["code"]), after, DepartmentResource, report)


def _measure_after(work: _Work, v: dict) -> dict:
    pillar = v.get("pillar", "")
    if pillar:
        by_code = work.db_pillars_by_code.get(pillar)
        by_name = work.db_pillars_by_name.get(_norm(pillar))
        if by_code is not None:
            pillar = by_code["name"]
        elif by_name is not None:
            pillar = by_name["name"]
    after = {name: v.get(name) for name in ("code", "title", "summary", "current_issues", "national_items",
                                            "owner_department", "pillar", "start_fy", "end_fy", "budget",
                                            "change_level", "channel", "audience", "tags")}
    after["pillar"] = pillar
    for name in ("change_level", "channel", "audience"):
        after[name] = after[name] or ""
    after["tags"] = after["tags"] or ()
    after["summary"] = after["summary"] or ""
    after["current_issues"] = after["current_issues"] or ""
    after["budget_thousand_yen"] = after.pop("budget")
    return after


def _check_measures(work: _Work, report: SheetReport) -> None:
    _duplicates(work.measures, report)
    for row in work.measures:
        if not row.ok:
            continue
        v = row.values
        if v.get("start_fy") and v.get("end_fy") and v["end_fy"] < v["start_fy"]:
            _error(report, row, "end_fy", v["end_fy"], f"終了年度（{v['end_fy']}年度）が開始年度（{v['start_fy']}年度）より前です。")
            continue
        after = _measure_after(work, v)
        pillar = after["pillar"]
        if pillar and _norm(pillar) not in work.db_pillars_by_name and pillar not in work.new_pillars:
            work.new_pillars[pillar] = ""
        before = work.db_measures.get(v["code"])
        # Columns absent from the sheet keep their current values.
        if before is not None:
            for name in ("summary", "current_issues", "pillar", "start_fy", "end_fy", "budget_thousand_yen",
                         "change_level", "channel", "audience", "tags"):
                source = "budget" if name == "budget_thousand_yen" else name
                if source not in v:
                    after[name] = before[name]
        row.after = after
        _diff(row, before, after, _MeasureHeaders, report,
              {"start_fy": "fy", "end_fy": "fy", "change_level": "change_level", "channel": "channel",
               "audience": "audience", "tags": "tags"})


class _MeasureHeaders(MeasureResource):
    """MeasureResource headers keyed by model field name (budget_thousand_yen)."""

    @classmethod
    def header_of(cls, name: str) -> str:
        return MeasureResource.header_of("budget" if name == "budget_thousand_yen" else name)


def _measure_owners(work: _Work) -> dict[str, str]:
    """Measure code → the owner department code it will have after the import (file rows win)."""
    owners = {code: m["owner_department"] for code, m in work.db_measures.items()}
    for row in work.measures:
        code = row.values.get("code")
        if code:
            owners[code] = row.after.get("owner_department") or row.values.get("owner_department") or ""
    return owners


def _check_milestones(work: _Work, report: SheetReport) -> None:
    _duplicates(work.milestones, report)
    owners = _measure_owners(work)
    for row in work.milestones:
        if not row.ok:
            continue
        v = row.values
        measure_code = v["measure_code"]
        owner = owners.get(measure_code)
        if owner is None:
            _error(report, row, "measure_code", measure_code, f"施策コード「{measure_code}」の施策がありません（「施策」シートにも計画にもありません）。")
            continue
        status = v.get("status", STATUS.default)
        completed = v.get("completed_on")
        if status == "done" and not completed:
            _error(report, row, "completed_on", "", "状況が「完了」のときは完了日を入力してください。")
            continue
        if completed and status != "done":
            _error(report, row, "completed_on", completed, f"完了日は状況が「完了」のときだけ入力できます（状況: {STATUS.label(status)}）。")
            continue
        before = work.db_milestones.get(v["code"])
        after = {
            "code": v["code"], "measure_code": measure_code, "title": v["title"], "kind": v.get("kind", KIND.default),
            "due_date": v["due_date"], "owner_department": v.get("owner_department") or owner, "status": status,
            "completed_on": completed,
        }
        if before is not None:  # columns absent from the sheet keep their current values
            if "kind" not in v:
                after["kind"] = before["kind"]
            if "status" not in v and "completed_on" not in v:
                after["status"], after["completed_on"] = before["status"], before["completed_on"]
        row.after = after
        _diff(row, before, after, MilestoneResource, report,
              {"status": "status", "kind": "kind"})


def _check_indicators(work: _Work, report: SheetReport) -> None:
    _duplicates(work.indicators, report)
    owners = _measure_owners(work)
    for row in work.indicators:
        if not row.ok:
            continue
        v = row.values
        if v["measure_code"] not in owners:
            _error(report, row, "measure_code", v["measure_code"], f"施策コード「{v['measure_code']}」の施策がありません（「施策」シートにも計画にもありません）。")
            continue
        actual, actual_date = v.get("actual_value"), v.get("actual_date")
        if actual is not None and actual_date is None:
            _error(report, row, "actual_date", "", "実績値を入れたときは実績日も入力してください。")
            continue
        if actual_date is not None and actual is None:
            _error(report, row, "actual_value", "", "実績日を入れたときは実績値も入力してください。")
            continue
        before = work.db_indicators.get(v["code"])
        after = {name: v.get(name) for name in ("code", "measure_code", "name", "unit", "direction", "baseline_value",
                                                "baseline_date", "target_value", "target_fy")}
        after["unit"] = after["unit"] or ""
        after["direction"] = after["direction"] or DIRECTION.default
        if before is not None:
            before = dict(before)
            for name in list(after):
                if name not in v and name not in ("code",):
                    after[name] = before[name]
        if actual is not None:
            existing = work.db_values.get((before["id"], actual_date)) if before is not None else None
            after["actual_value"] = actual
            after["actual_date"] = actual_date
            if before is not None:
                before["actual_value"] = existing[1] if existing else None
                before["actual_date"] = actual_date if existing else None
        row.after = after
        _diff(row, before, after, IndicatorResource, report, {"direction": "direction", "target_fy": "fy"})


class _EvaluationHeaders(EvaluationResource):
    """EvaluationResource headers keyed by model field name."""

    _SOURCE = {"settled_cost_thousand_yen": "settled_cost", "hours_saved_per_year": "hours_saved",
               "direction": "future_direction"}

    @classmethod
    def header_of(cls, name: str) -> str:
        return EvaluationResource.header_of(cls._SOURCE.get(name, name))


def _check_evaluation_values(report: SheetReport, row: _Row, v: dict, grades: list[str]) -> None:
    if v.get("self_grade") and v["self_grade"] not in grades:
        _error(report, row, "self_grade", v["self_grade"], f"自己評価は {'・'.join(grades)} のいずれかにしてください。")
    cost = v.get("settled_cost")
    if cost is not None and cost < 0:
        _error(report, row, "settled_cost", cost, "事業費（決算）は0以上の整数（千円）で入力してください。")
    hours = v.get("hours_saved")
    if hours is not None and (hours < 0 or hours != hours.quantize(Decimal("0.1"))):
        _error(report, row, "hours_saved", hours, "削減された業務時間は0以上、小数点以下1桁までの数値（時間/年）で入力してください。")
    for link in (v.get("evidence_links") or "").splitlines():
        if link.strip() and not link.strip().lower().startswith(("http://", "https://")):
            _error(report, row, "evidence_links", link.strip(), "根拠資料は http:// または https:// で始まるURLを1行に1つずつ入力してください。")
            break


def _check_evaluations(work: _Work, report: SheetReport) -> None:
    """「年度評価」 rows: the round must be open (an approved round is locked) and the evaluation still with its
    department (作成中 or 差戻し); unchanged rows of any state are fine, so export → import changes nothing."""
    first: dict[tuple[int, str], int] = {}
    owners = _measure_owners(work)
    plan = work.plan
    for row in work.evaluations:
        if not row.ok:
            continue
        v = row.values
        fy, code = v["fiscal_year"], v["measure_code"]
        if (fy, code) in first:
            _error(report, row, "measure_code", code, f"{fy}年度の施策「{code}」が{first[(fy, code)]}行目と重複しています。")
            continue
        first[(fy, code)] = row.number
        if not plan.start_fy <= fy <= plan.end_fy:
            _error(report, row, "fiscal_year", fy, f"{format_fiscal_year(fy)}は計画期間（{plan.period_label}）の外です。")
            continue
        round_ = work.db_rounds.get(fy)
        if round_ is None:
            _error(report, row, "fiscal_year", fy, f"{format_fiscal_year(fy)}の年度評価は開始されていません。ポータルの「年度評価」で開始してから取り込んでください。")
            continue
        if code not in owners:
            _error(report, row, "measure_code", code, f"施策コード「{code}」の施策がありません（「施策」シートにも計画にもありません）。")
            continue
        _check_evaluation_values(report, row, v, round_["grades"])
        if not row.ok:
            continue
        before = work.db_evaluations.get((fy, code))
        after = {"fiscal_year": fy, "measure_code": code, "achievements": v.get("achievements", ""),
                 "self_grade": v.get("self_grade", ""), "outcomes": v.get("outcomes", ""),
                 "issues": v.get("issues", ""), "direction": v.get("future_direction", ""),
                 "settled_cost_thousand_yen": v.get("settled_cost"), "hours_saved_per_year": v.get("hours_saved"),
                 "evidence_links": "\n".join(line.strip() for line in (v.get("evidence_links") or "").splitlines()
                                             if line.strip())}
        if before is not None:  # columns absent from the sheet keep their current values
            for name in EVALUATION_FIELDS:
                source = _EvaluationHeaders._SOURCE.get(name, name)
                if source not in v:
                    after[name] = before[name]
        changes = before is None or any(not _same(before.get(n), after[n]) for n in EVALUATION_FIELDS)
        if changes and round_["state"] != EvaluationRound.State.OPEN:
            _error(report, row, "fiscal_year", fy, f"{format_fiscal_year(fy)}の年度評価は本部承認により確定しているため、変更できません。")
            continue
        if changes and before is not None and before["state"] not in MeasureEvaluation.EDITABLE_STATES:
            label = MeasureEvaluation.State(before["state"]).label
            _error(report, row, "measure_code", code, f"この評価は「{label}」のため変更できません（変更できるのは作成中または差戻しの評価です）。")
            continue
        row.after = after
        _diff(row, before, after, _EvaluationHeaders, report,
              {"fiscal_year": "fy", "direction": "evaluation_direction"})
        if report.diffs and report.diffs[-1].row == row.number:
            report.diffs[-1].key = f"{fy} {code}"


# --- apply --------------------------------------------------------------------------------------


def apply_preview(*, preview: Preview, user, reason: str, import_run=None) -> None:
    """Write everything the preview found new or changed, in one transaction. The preview must have no errors."""
    if preview.has_errors:
        raise ValueError("A preview with errors cannot be applied.")
    work: _Work = preview.work
    if work is None:
        return
    now = timezone.now()
    with transaction.atomic():
        dept_ids = _apply_departments(work)
        pillar_ids = _apply_pillars(work)
        measure_ids = _apply_measures(work, dept_ids, pillar_ids, user, reason, now)
        _apply_milestones(work, dept_ids, measure_ids, user, reason, now)
        _apply_indicators(work, measure_ids, user, reason, import_run)
        _apply_evaluations(work, measure_ids, user, reason)
        # Bulk writes skip the signals: rebuild the plan's progress roll-up (issue 5; also drops the
        # cached dashboards).
        from measures.rollup import refresh_rollup

        refresh_rollup(plan_ids=[work.plan.pk])


def _apply_departments(work: _Work) -> dict[str, int]:
    municipality_id = work.plan.municipality_id
    ids = {code: d["id"] for code, d in work.db_departments.items()}
    new = [Department(municipality_id=municipality_id, code=r.values["code"], name=r.values["name"],
                      email=r.values.get("email", "")) for r in work.departments if r.action == NEW]
    for obj in Department.objects.bulk_create(new):
        ids[obj.code] = obj.pk
    changed = [r for r in work.departments if r.action in (NEW, CHANGED)]
    if changed:
        objs = {d.code: d for d in Department.objects.filter(municipality_id=municipality_id,
                                                             code__in=[r.values["code"] for r in changed])}
        for r in changed:
            obj = objs[r.values["code"]]
            obj.name = r.values["name"]
            if "email" in r.values:
                obj.email = r.values["email"]
            parent = r.values.get("parent_code", "")
            obj.parent_id = ids.get(parent) if parent else None
        Department.objects.bulk_update(objs.values(), ["name", "email", "parent"])
    return ids


def _apply_pillars(work: _Work) -> dict[str, int]:
    ids = {_norm(p["name"]): p["id"] for p in work.db_pillars_by_code.values()}
    if work.new_pillars:
        used = set(work.db_pillars_by_code)
        start = len(used)
        objs = []
        for offset, name in enumerate(work.new_pillars, start=1):
            n = start + offset
            while f"P{n}" in used:
                n += 1
            used.add(f"P{n}")
            objs.append(Pillar(plan=work.plan, code=f"P{n}", name=name, sort_order=n))
        for obj in Pillar.objects.bulk_create(objs):
            ids[_norm(obj.name)] = obj.pk
    return ids


def _measure_fields(obj: Measure, after: dict, dept_ids: dict[str, int], pillar_ids: dict[str, int]) -> None:
    obj.title = after["title"]
    obj.summary = after["summary"]
    obj.current_issues = after["current_issues"]
    obj.owner_department_id = dept_ids[after["owner_department"]]
    obj.pillar_id = pillar_ids.get(_norm(after["pillar"])) if after["pillar"] else None
    obj.start_fy = after["start_fy"]
    obj.end_fy = after["end_fy"]
    obj.budget_thousand_yen = after["budget_thousand_yen"]
    obj.change_level = after["change_level"]
    obj.channel = after["channel"]
    obj.audience = after["audience"]
    obj.is_gx = "gx" in after["tags"]
    obj.is_wellbeing = "wellbeing" in after["tags"]


def _apply_measures(work: _Work, dept_ids, pillar_ids, user, reason: str, now) -> dict[str, int]:
    ids = {code: m["id"] for code, m in work.db_measures.items()}
    new_rows = [r for r in work.measures if r.action == NEW]
    changed_rows = [r for r in work.measures if r.action == CHANGED]
    new_objs = []
    for r in new_rows:
        obj = Measure(plan_id=work.plan.pk, code=r.after["code"])
        _measure_fields(obj, r.after, dept_ids, pillar_ids)
        obj.sort_order = r.number
        new_objs.append(obj)
    if new_objs:
        for obj in bulk_create_with_history(new_objs, Measure, default_user=user, default_change_reason=reason):
            ids[obj.code] = obj.pk
    if changed_rows:
        objs = {m.code: m for m in Measure.objects.filter(plan=work.plan, code__in=[r.after["code"] for r in changed_rows])}
        for r in changed_rows:
            obj = objs[r.after["code"]]
            _measure_fields(obj, r.after, dept_ids, pillar_ids)
            obj.updated_at = now
        bulk_update_with_history(list(objs.values()), Measure,
                                 ["title", "summary", "current_issues", "owner_department", "pillar", "start_fy",
                                  "end_fy", "budget_thousand_yen", "change_level", "channel", "audience", "is_gx",
                                  "is_wellbeing", "updated_at"],
                                 default_user=user, default_change_reason=reason)
    through = Measure.national_items.through
    relink = [r for r in new_rows] + [r for r in changed_rows if "national_items" in r.changed_fields]
    if relink:
        measure_ids = [ids[r.after["code"]] for r in relink]
        through.objects.filter(measure_id__in=measure_ids).delete()
        through.objects.bulk_create([
            through(measure_id=ids[r.after["code"]], nationalitem_id=work.item_ids[n])
            for r in relink for n in r.after["national_items"]
        ])
    return ids


def _milestone_fields(obj: Milestone, after: dict, dept_ids, measure_ids, plan_id: int) -> None:
    obj.plan_id = plan_id
    obj.measure_id = measure_ids[after["measure_code"]]
    obj.title = after["title"]
    obj.kind = after["kind"]
    obj.due_date = after["due_date"]
    obj.owner_department_id = dept_ids[after["owner_department"]]
    obj.status = after["status"]
    obj.completed_on = after["completed_on"]


def _apply_milestones(work: _Work, dept_ids, measure_ids, user, reason: str, now) -> None:
    plan_id = work.plan.pk
    new_objs = []
    for r in work.milestones:
        if r.action == NEW:
            obj = Milestone(code=r.after["code"], updated_by=user, sort_order=r.number)
            _milestone_fields(obj, r.after, dept_ids, measure_ids, plan_id)
            new_objs.append(obj)
    if new_objs:
        bulk_create_with_history(new_objs, Milestone, default_user=user, default_change_reason=reason)
    changed_rows = [r for r in work.milestones if r.action == CHANGED]
    if changed_rows:
        objs = {m.code: m for m in Milestone.objects.filter(plan_id=plan_id, code__in=[r.after["code"] for r in changed_rows])}
        for r in changed_rows:
            obj = objs[r.after["code"]]
            _milestone_fields(obj, r.after, dept_ids, measure_ids, plan_id)
            obj.version += 1
            obj.updated_at = now
            obj.updated_by = user
        bulk_update_with_history(list(objs.values()), Milestone,
                                 ["measure", "title", "kind", "due_date", "owner_department", "status", "completed_on",
                                  "version", "updated_at", "updated_by"],
                                 default_user=user, default_change_reason=reason)


def _indicator_fields(obj: Indicator, after: dict, measure_ids, plan_id: int) -> None:
    obj.plan_id = plan_id
    obj.measure_id = measure_ids[after["measure_code"]]
    for name in ("name", "unit", "direction", "baseline_value", "baseline_date", "target_value", "target_fy"):
        setattr(obj, name, after[name])


def _apply_indicators(work: _Work, measure_ids, user, reason: str, import_run) -> None:
    plan_id = work.plan.pk
    ids = {code: k["id"] for code, k in work.db_indicators.items()}
    new_objs = []
    for r in work.indicators:
        if r.action == NEW:
            obj = Indicator(code=r.after["code"], sort_order=r.number)
            _indicator_fields(obj, r.after, measure_ids, plan_id)
            new_objs.append(obj)
    if new_objs:
        for obj in bulk_create_with_history(new_objs, Indicator, default_user=user, default_change_reason=reason):
            ids[obj.code] = obj.pk
    changed_rows = [r for r in work.indicators if r.action == CHANGED
                    and set(r.changed_fields) - {"actual_value", "actual_date"}]
    if changed_rows:
        objs = {k.code: k for k in Indicator.objects.filter(plan_id=plan_id, code__in=[r.after["code"] for r in changed_rows])}
        for r in changed_rows:
            _indicator_fields(objs[r.after["code"]], r.after, measure_ids, plan_id)
        bulk_update_with_history(list(objs.values()), Indicator,
                                 ["measure", "name", "unit", "direction", "baseline_value", "baseline_date",
                                  "target_value", "target_fy"],
                                 default_user=user, default_change_reason=reason)
    # Actual values: a new dated value is added; a different value at an existing date corrects it (the old
    # row stays, is_current=False). Values are never overwritten (DESIGN.md §3).
    superseded, new_values = [], []
    note = reason[:500]
    for r in work.indicators:
        if r.action not in (NEW, CHANGED) or "actual_value" not in r.after:
            continue
        if r.action == CHANGED and "actual_value" not in r.changed_fields:
            continue
        indicator_id = ids[r.after["code"]]
        existing = work.db_values.get((indicator_id, r.after["actual_date"]))
        if existing:
            superseded.append(existing[0])
        new_values.append(IndicatorValue(indicator_id=indicator_id, value=r.after["actual_value"],
                                         as_of=r.after["actual_date"], note=note, recorded_by=user,
                                         corrects_id=existing[0] if existing else None))
    if superseded:
        IndicatorValue.objects.filter(pk__in=superseded).update(is_current=False)
    if new_values:
        bulk_create_with_history(new_values, IndicatorValue, default_user=user, default_change_reason=reason)


def _apply_evaluations(work: _Work, measure_ids, user, reason: str) -> None:
    """New rows become draft evaluations of their (open) round; changed rows update the evaluation's fields.
    States never change through an import: submitting, review and approval happen in the portal."""
    new_objs = []
    for r in work.evaluations:
        if r.action == NEW:
            obj = MeasureEvaluation(round_id=work.db_rounds[r.after["fiscal_year"]]["id"],
                                    measure_id=measure_ids[r.after["measure_code"]])
            for name in EVALUATION_FIELDS:
                setattr(obj, name, r.after[name])
            new_objs.append(obj)
    if new_objs:
        bulk_create_with_history(new_objs, MeasureEvaluation, default_user=user, default_change_reason=reason)
    changed = {work.db_evaluations[(r.after["fiscal_year"], r.after["measure_code"])]["id"]: r
               for r in work.evaluations if r.action == CHANGED}
    if changed:
        objs = list(MeasureEvaluation.objects.filter(pk__in=changed))
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
            for name in EVALUATION_FIELDS:
                setattr(obj, name, changed[obj.pk].after[name])
        bulk_update_with_history(objs, MeasureEvaluation, [*EVALUATION_FIELDS, "updated_at"],
                                 default_user=user, default_change_reason=reason)
