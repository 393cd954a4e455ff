"""Writes of the governance app: meetings and their agenda, decisions that create actions (milestones), plan
revisions. Every service checks that the user is the 事務局 (admin) of the object's municipality, validates
(full_clean) and writes in one transaction: bad input writes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from measures.models import Indicator, IndicatorValue, Measure, ProgressUpdate
from measures.rollup import refresh_rollup
from milestones.models import Milestone
from plans.models import Department, Pillar, Plan

from .models import Action, AgendaItem, BodyMember, BodyRole, Decision, Meeting, PlanRevision
from .permissions import may_manage
from .selectors import DECISIONS_MEASURE_CODE, agenda_proposals


def _require_manager(user: User, municipality_id: int) -> None:
    if not may_manage(user, municipality_id):
        raise PermissionDenied(
            _("推進体制・会議・計画改定を変更する権限がありません。DX推進本部事務局（管理者）に依頼してください。")
        )


# --- meetings and agenda -------------------------------------------------------------------------------


def meeting_create(
    *,
    user: User,
    plan: Plan,
    kind: str,
    held_on: dt.date,
    number: int | None = None,
    place: str = "",
    attendees: list[BodyMember] | None = None,
    attendees_note: str = "",
) -> Meeting:
    _require_manager(user, plan.municipality_id)
    meeting = Meeting(
        municipality_id=plan.municipality_id,
        plan=plan,
        kind=kind,
        held_on=held_on,
        number=number,
        place=place,
        attendees_note=attendees_note,
        created_by=user,
    )
    meeting.full_clean()
    attendees = attendees or []
    if any(a.municipality_id != plan.municipality_id for a in attendees):
        raise ValidationError({"attendees": _("出席者は同じ自治体の推進体制から選んでください。")})
    with transaction.atomic():
        meeting.save()
        meeting.attendees.set(attendees)
    return meeting


def meeting_update_minutes(
    *, user: User, meeting: Meeting, summary_public: str, summary_internal: str, materials: str
) -> Meeting:
    _require_manager(user, meeting.municipality_id)
    meeting.summary_public = summary_public
    meeting.summary_internal = summary_internal
    meeting.materials = materials
    meeting.full_clean()
    meeting.save(update_fields=["summary_public", "summary_internal", "materials"])
    return meeting


def _next_order(meeting: Meeting) -> int:
    return (meeting.agenda_items.aggregate(m=Max("order"))["m"] or 0) + 1


def agenda_accept(*, user: User, meeting: Meeting, keys: list[str]) -> list[AgendaItem]:
    """Put the chosen proposals of the agenda builder on the agenda, in the builder's order, with their facts
    as of the meeting date. A key that is no longer proposed (the exception was resolved, or it is already on
    the agenda) is refused with the whole choice: nothing is written."""
    _require_manager(user, meeting.municipality_id)
    if not keys:
        raise ValidationError(_("採用する議題を1つ以上選んでください。"))
    proposals = {p.key: p for p in agenda_proposals(meeting=meeting)}
    unknown = [k for k in keys if k not in proposals]
    if unknown:
        raise ValidationError(
            _(
                "選んだ提案のうち %(n)s件は、すでに議題にあるか、解消したため提案されていません。画面を読み込み直してください。"
            )
            % {"n": len(unknown)}
        )
    chosen = [p for p in proposals.values() if p.key in set(keys)]
    with transaction.atomic():
        order = _next_order(meeting)
        items = []
        for offset, p in enumerate(chosen):
            item = AgendaItem(
                meeting=meeting,
                order=order + offset,
                source=p.source,
                source_key=p.key,
                title=p.title[:300],
                facts=p.facts,
                measure_id=p.measure_id,
                milestone_id=p.milestone_id,
                indicator_id=p.indicator_id,
            )
            item.full_clean()
            item.save()
            items.append(item)
    return items


def agenda_item_add(*, user: User, meeting: Meeting, title: str, note: str = "") -> AgendaItem:
    _require_manager(user, meeting.municipality_id)
    item = AgendaItem(
        meeting=meeting, order=_next_order(meeting), source=AgendaItem.Source.MANUAL, title=title.strip(), note=note
    )
    item.full_clean()
    item.save()
    return item


def agenda_item_update(*, user: User, item: AgendaItem, order: int, note: str) -> AgendaItem:
    """The 事務局 orders and annotates the agenda."""
    _require_manager(user, item.meeting.municipality_id)
    item.order = order
    item.note = note
    item.full_clean()
    item.save(update_fields=["order", "note"])
    return item


def agenda_item_remove(*, user: User, item: AgendaItem) -> None:
    _require_manager(user, item.meeting.municipality_id)
    if item.decisions.exists():
        raise ValidationError(_("決定事項が記録された議題は外せません。"))
    item.delete()


# --- decisions and actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    title: str
    owner_department: Department | None
    due_date: dt.date | None
    measure: Measure | None = None


def _secretariat_department(meeting: Meeting, fallback: Department) -> Department:
    member = (
        BodyMember.objects.filter(
            municipality_id=meeting.municipality_id, role=BodyRole.SECRETARIAT, department__isnull=False
        )
        .select_related("department")
        .order_by("sort_order", "id")
        .first()
    )
    return member.department if member else fallback


def decisions_measure(*, plan: Plan, owner: Department) -> Measure:
    """The plan's 「本部会議の決定事項」 measure, created the first time an action has no measure of its own."""
    measure = Measure.objects.filter(plan=plan, code=DECISIONS_MEASURE_CODE).first()
    if measure is None:
        measure = Measure(
            plan=plan,
            code=DECISIONS_MEASURE_CODE,
            title=_("本部会議の決定事項"),
            summary=_("DX推進本部の会議で決まった対応事項（施策に属さないもの）"),
            owner_department=owner,
            sort_order=10_000,
        )
        measure.full_clean()
        measure.save()
    return measure


def _validate_action(spec: ActionSpec, meeting: Meeting, index: int) -> dict[str, str]:
    errors = {}
    prefix = _("対応事項%(n)s: ") % {"n": index}
    if not spec.title.strip():
        errors["title"] = prefix + _("内容を入力してください。")
    if spec.owner_department is None:
        errors["owner_department"] = prefix + _("担当部署を選んでください。")
    elif spec.owner_department.municipality_id != meeting.municipality_id:
        errors["owner_department"] = prefix + _("担当部署は会議と同じ自治体の部署を選んでください。")
    if spec.due_date is None:
        errors["due_date"] = prefix + _("期限を入力してください。")
    if spec.measure is not None and spec.measure.plan_id != meeting.plan_id:
        errors["measure"] = prefix + _("施策は会議の計画（%(plan)s）の施策を選んでください。") % {
            "plan": meeting.plan.title
        }
    return errors


def decision_record(
    *,
    user: User,
    meeting: Meeting,
    text: str,
    agenda_item: AgendaItem | None = None,
    is_public: bool = True,
    actions: list[ActionSpec] | None = None,
) -> Decision:
    """Record a decision of the meeting; each action becomes a milestone (owner department, due date, under
    the linked measure, else the agenda item's measure, else the plan's 「本部会議の決定事項」), so it is on /work/, in the reminders, on the
    dashboards and in the history like any other."""
    _require_manager(user, meeting.municipality_id)
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        raise ValidationError({"agenda_item": _("この会議の議題を選んでください。")})
    decision = Decision(
        meeting=meeting, agenda_item=agenda_item, text=text.strip(), is_public=is_public, created_by=user
    )
    decision.full_clean()
    actions = actions or []
    errors: dict[str, list[str]] = {}
    for index, spec in enumerate(actions, start=1):
        for name, message in _validate_action(spec, meeting, index).items():
            errors.setdefault(name, []).append(message)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        decision.save()
        for spec in actions:
            measure = (
                spec.measure
                or (agenda_item.measure if agenda_item is not None and agenda_item.measure_id else None)
                or decisions_measure(plan=meeting.plan, owner=_secretariat_department(meeting, spec.owner_department))
            )
            n = Milestone.objects.filter(plan_id=meeting.plan_id, code__startswith=f"HQ{meeting.pk}-").count() + 1
            milestone = Milestone(
                measure=measure,
                plan_id=measure.plan_id,
                code=f"HQ{meeting.pk}-{n}",
                title=spec.title.strip()[:200],
                kind=Milestone.Kind.INTERIM,
                due_date=spec.due_date,
                owner_department=spec.owner_department,
                updated_by=user,
                comment=_("%(meeting)s（%(date)s）の決定事項")
                % {"meeting": meeting.title, "date": f"{meeting.held_on:%Y/%m/%d}"},
            )
            milestone.full_clean()
            milestone._history_user = user
            milestone._change_reason = _("会議の決定: %(meeting)s") % {"meeting": meeting.title}
            milestone.save()
            Action.objects.create(decision=decision, milestone=milestone)
    return decision


# --- plan revisions ------------------------------------------------------------------------------------


def _new_plan_code(plan: Plan, version: int) -> str:
    base = plan.code.rsplit("-v", 1)[0] if plan.version > 1 else plan.code
    code = f"{base}-v{version}"[:50]
    n = 1
    while Plan.objects.filter(municipality_id=plan.municipality_id, code=code).exists():
        n += 1
        code = f"{base}-v{version}-{n}"[:50]
    return code


def revision_start(*, user: User, plan: Plan, reason: str = "", meeting: Meeting | None = None) -> PlanRevision:
    """Copy a plan (vision, pillars, measures with their national items, milestones, KPIs and their current
    values) into a new draft version. The progress reports follow each measure by its code, with their
    original dates and authors, so the new version's measure shows its whole history (the old version keeps
    its own)."""
    _require_manager(user, plan.municipality_id)
    if plan.status == Plan.Status.ARCHIVED:
        raise ValidationError(
            _("終了した計画（%(title)s）からは改定案を作れません。現行の計画を選んでください。") % {"title": plan.title}
        )
    if PlanRevision.objects.filter(old_plan=plan, status=PlanRevision.Status.PENDING).exists():
        raise ValidationError(
            _("この計画には承認待ちの改定案があります。その改定案を承認するか取り下げてから作成してください。")
        )
    if meeting is not None and meeting.municipality_id != plan.municipality_id:
        raise ValidationError(_("別の自治体の会議は選べません。"))
    with transaction.atomic():
        new = Plan(
            municipality_id=plan.municipality_id,
            code=_new_plan_code(plan, plan.version + 1),
            title=plan.title,
            vision=plan.vision,
            start_fy=plan.start_fy,
            end_fy=plan.end_fy,
            edition_id=plan.edition_id,
            status=Plan.Status.DRAFT,
            version=plan.version + 1,
        )
        new.full_clean()
        new._history_user = user
        new.save()
        pillars = {}
        old_pillars = list(Pillar.objects.filter(plan=plan).order_by("parent_id", "id"))
        for p in old_pillars:
            pillars[p.pk] = Pillar.objects.create(plan=new, code=p.code, name=p.name, sort_order=p.sort_order)
        for p in old_pillars:
            if p.parent_id:
                Pillar.objects.filter(pk=pillars[p.pk].pk).update(parent=pillars[p.parent_id])
        measures = {}
        items = {}
        for m in Measure.objects.filter(plan=plan).prefetch_related("national_items").order_by("id"):
            measures[m.pk] = Measure(
                plan=new,
                code=m.code,
                title=m.title,
                summary=m.summary,
                current_issues=m.current_issues,
                owner_department_id=m.owner_department_id,
                pillar=pillars.get(m.pillar_id),
                start_fy=m.start_fy,
                end_fy=m.end_fy,
                budget_thousand_yen=m.budget_thousand_yen,
                sort_order=m.sort_order,
            )
            items[m.pk] = [i.pk for i in m.national_items.all()]
        Measure.objects.bulk_create(measures.values())
        through = Measure.national_items.through
        through.objects.bulk_create(
            [
                through(measure_id=measures[old_id].pk, nationalitem_id=item_id)
                for old_id, ids in items.items()
                for item_id in ids
            ]
        )
        Milestone.objects.bulk_create(
            [
                Milestone(
                    plan=new,
                    measure=measures[ms.measure_id],
                    code=ms.code,
                    title=ms.title,
                    kind=ms.kind,
                    due_date=ms.due_date,
                    owner_department_id=ms.owner_department_id,
                    status=ms.status,
                    completed_on=ms.completed_on,
                    comment=ms.comment,
                    sort_order=ms.sort_order,
                )
                for ms in Milestone.objects.filter(plan=plan).order_by("id")
            ]
        )
        indicators = {}
        for ind in Indicator.objects.filter(plan=plan).order_by("id"):
            indicators[ind.pk] = Indicator(
                plan=new,
                measure=measures[ind.measure_id],
                code=ind.code,
                name=ind.name,
                unit=ind.unit,
                direction=ind.direction,
                accumulation=ind.accumulation,
                baseline_value=ind.baseline_value,
                baseline_date=ind.baseline_date,
                target_value=ind.target_value,
                target_fy=ind.target_fy,
                source=ind.source,
                sort_order=ind.sort_order,
            )
        Indicator.objects.bulk_create(indicators.values())
        IndicatorValue.objects.bulk_create(
            [
                IndicatorValue(
                    indicator=indicators[v.indicator_id],
                    value=v.value,
                    as_of=v.as_of,
                    source=v.source,
                    note=v.note,
                    recorded_by_id=v.recorded_by_id,
                )
                for v in IndicatorValue.objects.filter(indicator__plan=plan, is_current=True).order_by("id")
            ]
        )
        _copy_progress_history(old_plan_id=plan.pk, new_plan_id=new.pk)
        refresh_rollup(plan_ids=[new.pk])
        revision = PlanRevision(
            municipality_id=plan.municipality_id,
            old_plan=plan,
            new_plan=new,
            reason=reason,
            meeting=meeting,
            created_by=user,
        )
        revision.full_clean()
        revision.save()
    return revision


def _copy_progress_history(*, old_plan_id: int, new_plan_id: int) -> None:
    """Append-only reports are copied as they were (dates included), matched by measure code, in one INSERT …
    SELECT: a city plan has tens of thousands of them."""
    table = ProgressUpdate._meta.db_table
    measures = Measure._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (measure_id, author_id, created_at, status, percent_done, comment, is_internal, "
            f"import_run_id) SELECT nm.id, pu.author_id, pu.created_at, pu.status, pu.percent_done, pu.comment, "
            f"pu.is_internal, pu.import_run_id FROM {table} pu JOIN {measures} om ON om.id = pu.measure_id "
            f"JOIN {measures} nm ON nm.code = om.code AND nm.plan_id = %s WHERE om.plan_id = %s ORDER BY pu.id",
            [new_plan_id, old_plan_id],
        )


def revision_approve(*, user: User, revision: PlanRevision) -> PlanRevision:
    """The new version becomes the current plan (策定済み); the old one is archived (終了) and stays linked."""
    _require_manager(user, revision.municipality_id)
    with transaction.atomic():
        locked = PlanRevision.objects.select_for_update().get(pk=revision.pk)
        if locked.status != PlanRevision.Status.PENDING:
            raise ValidationError(_("この改定案はすでに%(status)sです。") % {"status": locked.get_status_display()})
        others = PlanRevision.objects.filter(
            old_plan_id=locked.old_plan_id, status=PlanRevision.Status.PENDING
        ).exclude(pk=locked.pk)
        if others.exists():
            raise ValidationError(_("同じ計画に別の承認待ちの改定案があります。先にそちらを取り下げてください。"))
        if PlanRevision.objects.filter(new_plan_id=locked.old_plan_id, status=PlanRevision.Status.PENDING).exists():
            # Approving v3 while v1 → v2 is pending would leave v1 current beside v3.
            raise ValidationError(
                _("改定前の計画（%(title)s）自体がまだ承認待ちの改定案です。先にそちらを承認するか取り下げてください。")
                % {"title": locked.old_plan.title}
            )
        old = Plan.objects.get(pk=locked.old_plan_id)
        if old.status == Plan.Status.ARCHIVED:
            raise ValidationError(_("改定前の計画はすでに終了しています。現行の計画から改定案を作り直してください。"))
        new = Plan.objects.get(pk=locked.new_plan_id)
        old.status = Plan.Status.ARCHIVED
        old._history_user = user
        old._change_reason = _("改定により終了（第%(v)s版へ）") % {"v": new.version}
        old.save()
        new.status = Plan.Status.APPROVED
        new._history_user = user
        new._change_reason = _("改定の承認（第%(v)s版から）") % {"v": old.version}
        new.save()
        locked.status = PlanRevision.Status.APPROVED
        locked.approved_by = user
        locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
    return locked


def revision_withdraw(*, user: User, revision: PlanRevision) -> PlanRevision:
    _require_manager(user, revision.municipality_id)
    updated = PlanRevision.objects.filter(pk=revision.pk, status=PlanRevision.Status.PENDING).update(
        status=PlanRevision.Status.WITHDRAWN
    )
    if not updated:
        raise ValidationError(_("承認待ちの改定案だけを取り下げられます。"))
    revision.refresh_from_db()
    return revision
