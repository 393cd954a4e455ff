"""The import's checks: each sheet's rows against the others and against the database, and the preview.

Reading (reading.py) gives cleaned rows per sheet. Here they are checked across sheets (a milestone's measure
exists in the file or the plan, a department's parent exists and makes no cycle, 完了 needs a 完了日, an actual
value needs its date), compared by natural key with the plan's current state (loaded once, a fixed number of
queries) and counted as new / changed / unchanged, with every error in the preview. Nothing is written here;
apply.py writes what the checks decided.

Messages go through gettext; the sheet names, headers and cell values they quote are the file's, in every language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.fiscal import format_fiscal_year
from evaluations.models import EvaluationRound, MeasureEvaluation
from measures.models import OPEN_STATUSES, Indicator, IndicatorValue, Measure, completion_date_error
from milestones.models import Milestone
from plans.models import Department, NationalItem, Pillar, Plan

from . import parsing
from .preview import (
    CHANGED,
    NEW,
    PREVIEW_ROW_LIMIT,
    UNCHANGED,
    FieldChange,
    Preview,
    RowDiff,
    RowError,
    SheetReport,
    SheetRow,
    display,
    shown,
)
from .reading import ImportFileError, clean_rows, map_headers, match_sheets, norm_key, read_file
from .resources import (
    DIRECTION,
    KIND,
    SHEET_RESOURCES,
    STATUS,
    DepartmentResource,
    EvaluationResource,
    IndicatorResource,
    MeasureResource,
    MilestoneResource,
    SheetResource,
    measure_tags,
)

EVALUATION_FIELDS = (
    "achievements",
    "self_grade",
    "outcomes",
    "issues",
    "direction",
    "settled_cost_thousand_yen",
    "hours_saved_per_year",
    "evidence_links",
)

# --- the work: parsed rows plus the database state they are compared with -----------------------


@dataclass
class Work:
    """The checked rows of each sheet and the database state they were compared with; apply writes from it."""

    plan: Plan
    departments: list[SheetRow] = field(default_factory=list)
    measures: list[SheetRow] = field(default_factory=list)
    milestones: list[SheetRow] = field(default_factory=list)
    indicators: list[SheetRow] = field(default_factory=list)
    evaluations: list[SheetRow] = field(default_factory=list)
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


def load_state(plan: Plan) -> Work:
    work = Work(plan=plan)
    dept_code_by_id = {}
    for d in Department.objects.filter(municipality_id=plan.municipality_id).values(
        "id", "code", "name", "parent_id", "email"
    ):
        dept_code_by_id[d["id"]] = d["code"]
        work.db_departments[d["code"]] = d
    for d in work.db_departments.values():
        d["parent_code"] = dept_code_by_id.get(d["parent_id"], "")
    for p in Pillar.objects.filter(plan=plan).values("id", "code", "name"):
        work.db_pillars_by_code[p["code"]] = p
        work.db_pillars_by_name.setdefault(norm_key(p["name"]), p)
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
        "id",
        "code",
        "title",
        "summary",
        "current_issues",
        "owner_department_id",
        "pillar_id",
        "start_fy",
        "end_fy",
        "budget_thousand_yen",
        "change_level",
        "channel",
        "audience",
        "is_gx",
        "is_wellbeing",
    ):
        m["tags"] = measure_tags(m.pop("is_gx"), m.pop("is_wellbeing"))
        m["national_items"] = tuple(sorted(items_by_measure.get(m["id"], ())))
        m["owner_department"] = dept_code_by_id.get(m["owner_department_id"], "")
        m["pillar"] = pillar_name_by_id.get(m["pillar_id"], "")
        measure_code_by_id[m["id"]] = m["code"]
        work.db_measures[m["code"]] = m
    for ms in Milestone.objects.filter(plan=plan).values(
        "id",
        "code",
        "measure_id",
        "title",
        "kind",
        "due_date",
        "owner_department_id",
        "status",
        "completed_on",
        "version",
    ):
        ms["measure_code"] = measure_code_by_id.get(ms["measure_id"], "")
        ms["owner_department"] = dept_code_by_id.get(ms["owner_department_id"], "")
        work.db_milestones[ms["code"]] = ms
    for k in Indicator.objects.filter(plan=plan).values(
        "id",
        "code",
        "measure_id",
        "name",
        "unit",
        "direction",
        "baseline_value",
        "baseline_date",
        "target_value",
        "target_fy",
    ):
        k["measure_code"] = measure_code_by_id.get(k["measure_id"], "")
        work.db_indicators[k["code"]] = k
    for v in IndicatorValue.objects.filter(indicator__plan=plan, is_current=True).values(
        "id", "indicator_id", "as_of", "value"
    ):
        work.db_values[(v["indicator_id"], v["as_of"])] = (v["id"], v["value"])
    for r in EvaluationRound.objects.filter(plan=plan).values("id", "fiscal_year", "state", "grade_scale"):
        r["grades"] = [g.strip() for g in r["grade_scale"].split(",") if g.strip()]
        work.db_rounds[r["fiscal_year"]] = r
    for e in MeasureEvaluation.objects.filter(round__plan=plan).values(
        "id", "round_id", "round__fiscal_year", "measure_id", "state", *EVALUATION_FIELDS
    ):
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

    matched = match_sheets(raw_sheets, file_name, preview)
    if preview.file_errors:
        return preview

    work = load_state(plan)
    items = parsing.NationalItemLookup(NationalItem.objects.filter(edition_id=plan.edition_id))
    departments = parsing.DepartmentLookup((d["code"], d["name"]) for d in work.db_departments.values())
    if "部署" in matched:  # sheet names are the file format's keys (never translated)
        # Departments named in the file can be referred to by the other sheets.
        raw = matched["部署"]
        header_map = map_headers(DepartmentResource, raw, sheets["部署"])
        work.departments = clean_rows(DepartmentResource(), raw, header_map, sheets["部署"])
        for row in work.departments:
            if row.values.get("code") and row.values.get("name"):
                departments.add(row.values["code"], row.values["name"])
    for resource_class, target in (
        (MeasureResource, "measures"),
        (MilestoneResource, "milestones"),
        (IndicatorResource, "indicators"),
        (EvaluationResource, "evaluations"),
    ):
        name = resource_class.sheet_name
        if name in matched:
            raw = matched[name]
            header_map = map_headers(resource_class, raw, sheets[name])
            if header_map is not None:
                resource = resource_class(national_items=items, departments=departments)
                setattr(work, target, clean_rows(resource, raw, header_map, sheets[name]))

    _check_departments(work, sheets["部署"])
    _check_measures(work, sheets["施策"])
    _check_milestones(work, sheets["マイルストーン"])
    _check_indicators(work, sheets["指標"])
    _check_evaluations(work, sheets["年度評価"])
    preview.work = work
    return preview


def _same(before: object, after: object) -> bool:
    """Equal for the import: blank text equals NULL, 50 equals 50.0000."""
    if before in (None, "") and after in (None, ""):
        return True
    return before == after  # Decimal("50.0000") == Decimal("50")


def _error(report: SheetReport, row: SheetRow, name: str, value: object, message: str) -> None:
    header = row.headers.get(name) or name
    quoted = display(value) if isinstance(value, tuple) else shown(value)
    report.errors.append(RowError(row.sheet, row.number, header, quoted, message))
    row.ok = False


def _duplicates(rows: list[SheetRow], report: SheetReport, key: str = "code") -> None:
    first: dict[str, int] = {}
    for row in rows:
        code = row.values.get(key)
        if not code:
            continue
        if code in first:
            _error(
                report,
                row,
                key,
                code,
                _("コード「%(code)s」が%(row)s行目と重複しています。コードはシート内で一意にしてください。")
                % {"code": code, "row": first[code]},
            )
        else:
            first[code] = row.number


def _diff(
    row: SheetRow,
    before: dict | None,
    after: dict[str, Any],
    resource: type[SheetResource],
    report: SheetReport,
    kinds: dict[str, str] | None = None,
) -> None:
    kinds = kinds or {}
    if before is None:
        row.action = NEW
        listed = len(report.diffs) < PREVIEW_ROW_LIMIT  # beyond the listed rows only the counts matter
        report.add(
            RowDiff(
                row.number,
                after.get("code", ""),
                NEW,
                [
                    FieldChange(resource.header_of(n), "", display(v, kinds.get(n)))
                    for n, v in after.items()
                    if v not in (None, "", ())
                ]
                if listed
                else [],
            )
        )
        return
    row.existing_id = before["id"]
    changes = []
    for name, value in after.items():
        old = before.get(name)
        if not _same(old, value):
            row.changed_fields.append(name)
            changes.append(
                FieldChange(resource.header_of(name), display(old, kinds.get(name)), display(value, kinds.get(name)))
            )
    row.action = CHANGED if changes else UNCHANGED
    report.add(RowDiff(row.number, after.get("code", ""), row.action, changes))


def _check_departments(work: Work, report: SheetReport) -> None:
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
                _error(report, row, "parent_code", parent, _("自分自身を上位部署にはできません。"))
                continue
            if parent not in codes_in_file and parent not in work.db_departments:
                _error(
                    report, row, "parent_code", parent, _("上位部署「%(code)s」が見つかりません。") % {"code": parent}
                )
                continue
            seen, node = {v["code"]}, parent
            while node:
                if node in seen:
                    _error(report, row, "parent_code", parent, _("部署の親子関係が循環しています。"))
                    break
                seen.add(node)
                node = parent_of.get(node, "")
            if not row.ok:
                continue
        after = {"code": v["code"], "name": v["name"], "parent_code": parent, "email": v.get("email", "")}
        if "email" not in v and v["code"] in work.db_departments:
            after["email"] = work.db_departments[v["code"]]["email"]  # column absent: keep
        _diff(row, work.db_departments.get(v["code"]), after, DepartmentResource, report)


def _measure_after(work: Work, v: dict) -> dict:
    pillar = v.get("pillar", "")
    if pillar:
        by_code = work.db_pillars_by_code.get(pillar)
        by_name = work.db_pillars_by_name.get(norm_key(pillar))
        if by_code is not None:
            pillar = by_code["name"]
        elif by_name is not None:
            pillar = by_name["name"]
    after = {
        name: v.get(name)
        for name in (
            "code",
            "title",
            "summary",
            "current_issues",
            "national_items",
            "owner_department",
            "pillar",
            "start_fy",
            "end_fy",
            "budget",
            "change_level",
            "channel",
            "audience",
            "tags",
        )
    }
    after["pillar"] = pillar
    for name in ("change_level", "channel", "audience"):
        after[name] = after[name] or ""
    after["tags"] = after["tags"] or ()
    after["summary"] = after["summary"] or ""
    after["current_issues"] = after["current_issues"] or ""
    after["budget_thousand_yen"] = after.pop("budget")
    return after


def _check_measures(work: Work, report: SheetReport) -> None:
    _duplicates(work.measures, report)
    for row in work.measures:
        if not row.ok:
            continue
        v = row.values
        if v.get("start_fy") and v.get("end_fy") and v["end_fy"] < v["start_fy"]:
            _error(
                report,
                row,
                "end_fy",
                v["end_fy"],
                _("終了年度（%(end)s年度）が開始年度（%(start)s年度）より前です。")
                % {"end": v["end_fy"], "start": v["start_fy"]},
            )
            continue
        after = _measure_after(work, v)
        pillar = after["pillar"]
        if pillar and norm_key(pillar) not in work.db_pillars_by_name and pillar not in work.new_pillars:
            work.new_pillars[pillar] = ""
        before = work.db_measures.get(v["code"])
        # Columns absent from the sheet keep their current values.
        if before is not None:
            for name in (
                "summary",
                "current_issues",
                "pillar",
                "start_fy",
                "end_fy",
                "budget_thousand_yen",
                "change_level",
                "channel",
                "audience",
                "tags",
            ):
                source = "budget" if name == "budget_thousand_yen" else name
                if source not in v:
                    after[name] = before[name]
        row.after = after
        kinds = {
            "start_fy": "fy",
            "end_fy": "fy",
            "change_level": "change_level",
            "channel": "channel",
            "audience": "audience",
            "tags": "tags",
        }
        _diff(row, before, after, _MeasureHeaders, report, kinds)


class _MeasureHeaders(MeasureResource):
    """MeasureResource headers keyed by model field name (budget_thousand_yen)."""

    @classmethod
    def header_of(cls, name: str) -> str:
        return MeasureResource.header_of("budget" if name == "budget_thousand_yen" else name)


def _measure_owners(work: Work) -> dict[str, str]:
    """Measure code → the owner department code it will have after the import (file rows win)."""
    owners = {code: m["owner_department"] for code, m in work.db_measures.items()}
    for row in work.measures:
        code = row.values.get("code")
        if code:
            owners[code] = row.after.get("owner_department") or row.values.get("owner_department") or ""
    return owners


def _check_milestones(work: Work, report: SheetReport) -> None:
    _duplicates(work.milestones, report)
    owners = _measure_owners(work)
    for row in work.milestones:
        if not row.ok:
            continue
        v = row.values
        measure_code = v["measure_code"]
        owner = owners.get(measure_code)
        if owner is None:
            _error(
                report,
                row,
                "measure_code",
                measure_code,
                _("施策コード「%(code)s」の施策がありません（「施策」シートにも計画にもありません）。")
                % {"code": measure_code},
            )
            continue
        status = v.get("status", STATUS.default)
        completed = v.get("completed_on")
        message = completion_date_error(status, completed)
        if message:
            _error(report, row, "completed_on", completed or "", message)
            continue
        before = work.db_milestones.get(v["code"])
        after = {
            "code": v["code"],
            "measure_code": measure_code,
            "title": v["title"],
            "kind": v.get("kind", KIND.default),
            "due_date": v["due_date"],
            "owner_department": v.get("owner_department") or owner,
            "status": status,
            "completed_on": completed,
        }
        if before is not None:  # columns absent from the sheet keep their current values
            if "kind" not in v:
                after["kind"] = before["kind"]
            if "status" not in v and "completed_on" not in v:
                after["status"], after["completed_on"] = before["status"], before["completed_on"]
        row.after = after
        _diff(row, before, after, MilestoneResource, report, {"status": "status", "kind": "kind"})
        if after["due_date"] < timezone.localdate() and after["status"] in OPEN_STATUSES:
            report.warnings.append(
                RowError(
                    report.name,
                    row.number,
                    MilestoneResource.header_of("due_date"),
                    shown(after["due_date"]),
                    _(
                        "期限がすでに過ぎています（未完了のまま登録すると期限超過になります）。期限か状況を確認してください。"
                    ),
                )
            )


def _check_indicators(work: Work, report: SheetReport) -> None:
    _duplicates(work.indicators, report)
    owners = _measure_owners(work)
    for row in work.indicators:
        if not row.ok:
            continue
        v = row.values
        if v["measure_code"] not in owners:
            _error(
                report,
                row,
                "measure_code",
                v["measure_code"],
                _("施策コード「%(code)s」の施策がありません（「施策」シートにも計画にもありません）。")
                % {"code": v["measure_code"]},
            )
            continue
        actual, actual_date = v.get("actual_value"), v.get("actual_date")
        if actual is not None and actual_date is None:
            _error(report, row, "actual_date", "", _("実績値を入れたときは実績日も入力してください。"))
            continue
        if actual_date is not None and actual is None:
            _error(report, row, "actual_value", "", _("実績日を入れたときは実績値も入力してください。"))
            continue
        before = work.db_indicators.get(v["code"])
        after = {
            name: v.get(name)
            for name in (
                "code",
                "measure_code",
                "name",
                "unit",
                "direction",
                "baseline_value",
                "baseline_date",
                "target_value",
                "target_fy",
            )
        }
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


# --- 年度評価 ------------------------------------------------------------------------------------


class _EvaluationHeaders(EvaluationResource):
    """EvaluationResource headers keyed by model field name."""

    SOURCE = {
        "settled_cost_thousand_yen": "settled_cost",
        "hours_saved_per_year": "hours_saved",
        "direction": "future_direction",
    }

    @classmethod
    def header_of(cls, name: str) -> str:
        return EvaluationResource.header_of(cls.SOURCE.get(name, name))


def _check_evaluation_values(report: SheetReport, row: SheetRow, v: dict, grades: list[str]) -> None:
    if v.get("self_grade") and v["self_grade"] not in grades:
        _error(
            report,
            row,
            "self_grade",
            v["self_grade"],
            _("自己評価は %(grades)s のいずれかにしてください。") % {"grades": "・".join(grades)},
        )
    cost = v.get("settled_cost")
    if cost is not None and cost < 0:
        _error(report, row, "settled_cost", cost, _("事業費（決算）は0以上の整数（千円）で入力してください。"))
    hours = v.get("hours_saved")
    if hours is not None and (hours < 0 or hours != hours.quantize(Decimal("0.1"))):
        _error(
            report,
            row,
            "hours_saved",
            hours,
            _("削減された業務時間は0以上、小数点以下1桁までの数値（時間/年）で入力してください。"),
        )
    for link in (v.get("evidence_links") or "").splitlines():
        if link.strip() and not link.strip().lower().startswith(("http://", "https://")):
            _error(
                report,
                row,
                "evidence_links",
                link.strip(),
                _("根拠資料は http:// または https:// で始まるURLを1行に1つずつ入力してください。"),
            )
            break


def _check_evaluations(work: Work, report: SheetReport) -> None:
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
            _error(
                report,
                row,
                "measure_code",
                code,
                _("%(fy)s年度の施策「%(code)s」が%(row)s行目と重複しています。")
                % {"fy": fy, "code": code, "row": first[(fy, code)]},
            )
            continue
        first[(fy, code)] = row.number
        if not plan.start_fy <= fy <= plan.end_fy:
            _error(
                report,
                row,
                "fiscal_year",
                fy,
                _("%(fy)sは計画期間（%(period)s）の外です。")
                % {"fy": format_fiscal_year(fy), "period": plan.period_label},
            )
            continue
        round_ = work.db_rounds.get(fy)
        if round_ is None:
            _error(
                report,
                row,
                "fiscal_year",
                fy,
                _("%(fy)sの年度評価は開始されていません。ポータルの「年度評価」で開始してから取り込んでください。")
                % {"fy": format_fiscal_year(fy)},
            )
            continue
        if code not in owners:
            _error(
                report,
                row,
                "measure_code",
                code,
                _("施策コード「%(code)s」の施策がありません（「施策」シートにも計画にもありません）。")
                % {"code": code},
            )
            continue
        _check_evaluation_values(report, row, v, round_["grades"])
        if not row.ok:
            continue
        before = work.db_evaluations.get((fy, code))
        links = "\n".join(line.strip() for line in (v.get("evidence_links") or "").splitlines() if line.strip())
        after = {
            "fiscal_year": fy,
            "measure_code": code,
            "achievements": v.get("achievements", ""),
            "self_grade": v.get("self_grade", ""),
            "outcomes": v.get("outcomes", ""),
            "issues": v.get("issues", ""),
            "direction": v.get("future_direction", ""),
            "settled_cost_thousand_yen": v.get("settled_cost"),
            "hours_saved_per_year": v.get("hours_saved"),
            "evidence_links": links,
        }
        if before is not None:  # columns absent from the sheet keep their current values
            for name in EVALUATION_FIELDS:
                if _EvaluationHeaders.SOURCE.get(name, name) not in v:
                    after[name] = before[name]
        changes = before is None or any(not _same(before.get(n), after[n]) for n in EVALUATION_FIELDS)
        if changes and round_["state"] != EvaluationRound.State.OPEN:
            _error(
                report,
                row,
                "fiscal_year",
                fy,
                _("%(fy)sの年度評価は本部承認により確定しているため、変更できません。")
                % {"fy": format_fiscal_year(fy)},
            )
            continue
        if changes and before is not None and before["state"] not in MeasureEvaluation.EDITABLE_STATES:
            _error(
                report,
                row,
                "measure_code",
                code,
                _("この評価は「%(state)s」のため変更できません（変更できるのは作成中または差戻しの評価です）。")
                % {"state": MeasureEvaluation.State(before["state"]).label},
            )
            continue
        row.after = after
        _diff(
            row, before, after, _EvaluationHeaders, report, {"fiscal_year": "fy", "direction": "evaluation_direction"}
        )
        if report.diffs and report.diffs[-1].row == row.number:
            report.diffs[-1].key = f"{fy} {code}"
