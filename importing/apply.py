"""The import's last stage: write everything the checks found new or changed, in one transaction.

Bulk writes with their history rows (simple-history), so a national-size plan imports in seconds; the bulk
writes skip the model signals, so the plan's progress roll-up is rebuilt once at the end.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from evaluations.models import MeasureEvaluation
from measures.models import Indicator, Measure
from measures.rollup import refresh_rollup
from measures.services import KpiActual, indicator_record_values
from milestones.models import Milestone
from plans.models import Department, Pillar

from .checks import EVALUATION_FIELDS, Work
from .preview import CHANGED, NEW, Preview
from .reading import norm_key


def apply_preview(*, preview: Preview, user, reason: str) -> None:
    """Write everything the preview found new or changed, in one transaction. The preview must have no errors."""
    if preview.has_errors:
        raise ValueError("A preview with errors cannot be applied.")
    work: Work = preview.work
    if work is None:
        return
    now = timezone.now()
    with transaction.atomic():
        dept_ids = _apply_departments(work)
        pillar_ids = _apply_pillars(work)
        measure_ids = _apply_measures(work, dept_ids, pillar_ids, user, reason, now)
        _apply_milestones(work, dept_ids, measure_ids, user, reason, now)
        _apply_indicators(work, measure_ids, user, reason)
        _apply_evaluations(work, measure_ids, user, reason)
        # Bulk writes skip the signals: rebuild the plan's progress roll-up (which also drops the cached
        # dashboards).
        refresh_rollup(plan_ids=[work.plan.pk])


def _apply_departments(work: Work) -> dict[str, int]:
    municipality_id = work.plan.municipality_id
    ids = {code: d["id"] for code, d in work.db_departments.items()}
    new = [
        Department(
            municipality_id=municipality_id,
            code=r.values["code"],
            name=r.values["name"],
            email=r.values.get("email", ""),
        )
        for r in work.departments
        if r.action == NEW
    ]
    for obj in Department.objects.bulk_create(new):
        ids[obj.code] = obj.pk
    changed = [r for r in work.departments if r.action in (NEW, CHANGED)]
    if changed:
        objs = {
            d.code: d
            for d in Department.objects.filter(
                municipality_id=municipality_id, code__in=[r.values["code"] for r in changed]
            )
        }
        for r in changed:
            obj = objs[r.values["code"]]
            obj.name = r.values["name"]
            if "email" in r.values:
                obj.email = r.values["email"]
            parent = r.values.get("parent_code", "")
            obj.parent_id = ids.get(parent) if parent else None
        Department.objects.bulk_update(objs.values(), ["name", "email", "parent"])
    return ids


def _apply_pillars(work: Work) -> dict[str, int]:
    ids = {norm_key(p["name"]): p["id"] for p in work.db_pillars_by_code.values()}
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
            ids[norm_key(obj.name)] = obj.pk
    return ids


def _measure_fields(obj: Measure, after: dict, dept_ids: dict[str, int], pillar_ids: dict[str, int]) -> None:
    obj.title = after["title"]
    obj.summary = after["summary"]
    obj.current_issues = after["current_issues"]
    obj.owner_department_id = dept_ids[after["owner_department"]]
    obj.pillar_id = pillar_ids.get(norm_key(after["pillar"])) if after["pillar"] else None
    obj.start_fy = after["start_fy"]
    obj.end_fy = after["end_fy"]
    obj.budget_thousand_yen = after["budget_thousand_yen"]
    obj.change_level = after["change_level"]
    obj.channel = after["channel"]
    obj.audience = after["audience"]
    obj.is_gx = "gx" in after["tags"]
    obj.is_wellbeing = "wellbeing" in after["tags"]


def _apply_measures(work: Work, dept_ids, pillar_ids, user, reason: str, now) -> dict[str, int]:
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
        objs = {
            m.code: m for m in Measure.objects.filter(plan=work.plan, code__in=[r.after["code"] for r in changed_rows])
        }
        for r in changed_rows:
            obj = objs[r.after["code"]]
            _measure_fields(obj, r.after, dept_ids, pillar_ids)
            obj.updated_at = now
        bulk_update_with_history(
            list(objs.values()),
            Measure,
            [
                "title",
                "summary",
                "current_issues",
                "owner_department",
                "pillar",
                "start_fy",
                "end_fy",
                "budget_thousand_yen",
                "change_level",
                "channel",
                "audience",
                "is_gx",
                "is_wellbeing",
                "updated_at",
            ],
            default_user=user,
            default_change_reason=reason,
        )
    through = Measure.national_items.through
    relink = [r for r in new_rows] + [r for r in changed_rows if "national_items" in r.changed_fields]
    if relink:
        measure_ids = [ids[r.after["code"]] for r in relink]
        through.objects.filter(measure_id__in=measure_ids).delete()
        through.objects.bulk_create(
            [
                through(measure_id=ids[r.after["code"]], nationalitem_id=work.item_ids[n])
                for r in relink
                for n in r.after["national_items"]
            ]
        )
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


def _apply_milestones(work: Work, dept_ids, measure_ids, user, reason: str, now) -> None:
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
        objs = {
            m.code: m
            for m in Milestone.objects.filter(plan_id=plan_id, code__in=[r.after["code"] for r in changed_rows])
        }
        for r in changed_rows:
            obj = objs[r.after["code"]]
            _milestone_fields(obj, r.after, dept_ids, measure_ids, plan_id)
            obj.version += 1
            obj.updated_at = now
            obj.updated_by = user
        bulk_update_with_history(
            list(objs.values()),
            Milestone,
            [
                "measure",
                "title",
                "kind",
                "due_date",
                "owner_department",
                "status",
                "completed_on",
                "version",
                "updated_at",
                "updated_by",
            ],
            default_user=user,
            default_change_reason=reason,
        )


def _indicator_fields(obj: Indicator, after: dict, measure_ids, plan_id: int) -> None:
    obj.plan_id = plan_id
    obj.measure_id = measure_ids[after["measure_code"]]
    for name in ("name", "unit", "direction", "baseline_value", "baseline_date", "target_value", "target_fy"):
        setattr(obj, name, after[name])


def _apply_indicators(work: Work, measure_ids, user, reason: str) -> None:
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
    changed_rows = [
        r for r in work.indicators if r.action == CHANGED and set(r.changed_fields) - {"actual_value", "actual_date"}
    ]
    if changed_rows:
        objs = {
            k.code: k
            for k in Indicator.objects.filter(plan_id=plan_id, code__in=[r.after["code"] for r in changed_rows])
        }
        for r in changed_rows:
            _indicator_fields(objs[r.after["code"]], r.after, measure_ids, plan_id)
        bulk_update_with_history(
            list(objs.values()),
            Indicator,
            ["measure", "name", "unit", "direction", "baseline_value", "baseline_date", "target_value", "target_fy"],
            default_user=user,
            default_change_reason=reason,
        )
    # Actual values go through the KPI form's service: a new dated value is added; a different value at an
    # existing date corrects it (the old row stays, is_current=False). Values are never overwritten.
    actuals = []
    for r in work.indicators:
        if r.action not in (NEW, CHANGED) or "actual_value" not in r.after:
            continue
        if r.action == CHANGED and "actual_value" not in r.changed_fields:
            continue
        actuals.append(
            KpiActual(indicator_id=ids[r.after["code"]], value=r.after["actual_value"], as_of=r.after["actual_date"])
        )
    indicator_record_values(actuals=actuals, user=user, note=reason[:500], change_reason=reason)


def _apply_evaluations(work: Work, measure_ids, user, reason: str) -> None:
    """New rows become draft evaluations of their (open) round; changed rows update the evaluation's fields.
    States never change through an import: submitting, review and approval happen in the portal."""
    new_objs = []
    for r in work.evaluations:
        if r.action == NEW:
            obj = MeasureEvaluation(
                round_id=work.db_rounds[r.after["fiscal_year"]]["id"], measure_id=measure_ids[r.after["measure_code"]]
            )
            for name in EVALUATION_FIELDS:
                setattr(obj, name, r.after[name])
            new_objs.append(obj)
    if new_objs:
        bulk_create_with_history(new_objs, MeasureEvaluation, default_user=user, default_change_reason=reason)
    changed = {
        work.db_evaluations[(r.after["fiscal_year"], r.after["measure_code"])]["id"]: r
        for r in work.evaluations
        if r.action == CHANGED
    }
    if changed:
        objs = list(MeasureEvaluation.objects.filter(pk__in=changed))
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
            for name in EVALUATION_FIELDS:
                setattr(obj, name, changed[obj.pk].after[name])
        bulk_update_with_history(
            objs, MeasureEvaluation, [*EVALUATION_FIELDS, "updated_at"], default_user=user, default_change_reason=reason
        )
