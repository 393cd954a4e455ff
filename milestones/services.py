"""Writes to milestones from the staff pages (milestones/views.py). Each service checks permissions itself.

The Excel import (importing/, admins only) writes milestones in bulk in its own transaction, and the Django
admin saves through its ModelAdmin; neither goes through these functions."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.fiscal import fiscal_year_bounds
from core.people import person_label
from plans.permissions import access_for, can_change, can_view
from plans.roles import Role

from .models import DueDateChangeRequest, Milestone


class MilestoneConflict(Exception):
    """Someone saved the milestone after the user loaded it: their save is refused (no lost update)."""

    def __init__(self, current: Milestone):
        self.current = current
        when = timezone.localtime(current.updated_at)
        super().__init__(
            _(
                "このマイルストーンは %(who)s が %(when)s に更新しました。最新の内容を確認してから、"
                "もう一度保存してください（入力内容は残してあります）。"
            )
            % {"who": person_label(current.updated_by), "when": f"{when:%Y/%m/%d %H:%M}"}
        )


def milestone_update(
    *, milestone: Milestone, user: User, status: str, completed_on: dt.date | None, comment: str, expected_version: int
) -> Milestone:
    """Set a milestone's status, completion date and comment, if nobody saved it since `expected_version`.

    The claim is a conditional UPDATE (… WHERE version = expected): of two concurrent saves exactly one
    changes a row; the other gets MilestoneConflict naming who saved and when. The save that follows in the
    same transaction writes the history record (who, when, before → after)."""
    if not can_change(user, milestone):
        raise PermissionDenied(
            _("このマイルストーンを更新する権限がありません。担当部署の職員または管理者に依頼してください。")
        )
    milestone.status = status
    milestone.completed_on = completed_on
    milestone.comment = comment
    milestone.updated_by = user
    milestone.full_clean()
    with transaction.atomic():
        claimed = Milestone.objects.filter(pk=milestone.pk, version=expected_version).update(version=F("version") + 1)
        if not claimed:
            current = Milestone.objects.select_related("updated_by__membership").get(pk=milestone.pk)
            raise MilestoneConflict(current)
        milestone.version = expected_version + 1
        milestone._history_user = user
        milestone._change_reason = None  # a user's edit; never inherit a reason (e.g. an import's) left on the instance
        milestone.save()
    return milestone


# --- due-date changes: a department asks, the 事務局 decides ---------------------------------------


DECIDE_REFUSED = _lazy("期限の変更申請を承認・却下する権限がありません。判断するのは事務局（管理者）です。")


def may_decide_due_date(user: User, milestone: Milestone) -> bool:
    """Only the 事務局 (the municipality's admins) approves or rejects due-date changes."""
    access = access_for(user)
    return can_view(user, milestone) and (access.is_superuser or access.role == Role.ADMIN)


def due_date_change_request(
    *, milestone: Milestone, user: User, requested_due_date: dt.date, reason: str, today: dt.date
) -> DueDateChangeRequest:
    """A department asks the 事務局 to move a milestone's due date. Refused (nothing written) for another
    department, a closed milestone, a date in the past or before the measure starts, the same date, a blank
    reason, or when a request for the milestone is already pending."""
    if not can_change(user, milestone):
        raise PermissionDenied(
            _("このマイルストーンの期限の変更を申請する権限がありません。申請できるのは担当部署の職員と管理者です。")
        )
    errors: dict[str, str] = {}
    if not milestone.is_open:
        errors[NON_FIELD_ERRORS] = _("完了または中止のマイルストーンの期限は変更できません。")
    if requested_due_date < today:
        errors["requested_due_date"] = _("過去の日付は指定できません（今日以降の日付を入力してください）。")
    elif requested_due_date == milestone.due_date:
        errors["requested_due_date"] = _("現在の期限と同じ日付です。新しい期限を入力してください。")
    start_fy = milestone.measure.start_fy
    if start_fy and requested_due_date < fiscal_year_bounds(start_fy)[0] and "requested_due_date" not in errors:
        errors["requested_due_date"] = _("施策の開始（%(start)s）より前の日付は指定できません。") % {
            "start": f"{fiscal_year_bounds(start_fy)[0]:%Y/%m/%d}"
        }
    if not reason.strip():
        errors["reason"] = _("変更の理由を入力してください（議会や市民への説明に使われます）。")
    if errors:
        raise ValidationError(errors)
    change = DueDateChangeRequest(
        milestone=milestone,
        previous_due_date=milestone.due_date,
        requested_due_date=requested_due_date,
        reason=reason.strip(),
        requested_by=user,
    )
    change.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            change.save()
    except IntegrityError:
        raise ValidationError(
            _(
                "このマイルストーンには承認待ちの変更申請がすでにあります。"
                "事務局の判断を待つか、事務局に連絡してください。"
            )
        )
    return change


def due_date_change_decide(
    *, change: DueDateChangeRequest, user: User, approve: bool, comment: str, today: dt.date
) -> DueDateChangeRequest:
    """The 事務局 approves or rejects a pending request. Approval moves the due date through the same
    versioned claim as a staff save (version + 1, history kept, 当初期限 unchanged), so a staff save that
    raced it gets a conflict instead of silently undoing it, and the reminder stages start again (they are
    keyed on the due date)."""
    milestone = change.milestone
    if not may_decide_due_date(user, milestone):
        raise PermissionDenied(DECIDE_REFUSED)
    if approve and change.requested_due_date < today:
        raise ValidationError(
            _("希望された期限（%(date)s）はすでに過ぎています。却下して、新しい日付で申請し直してもらってください。")
            % {"date": f"{change.requested_due_date:%Y/%m/%d}"}
        )
    if approve and not milestone.is_open:
        raise ValidationError(_("このマイルストーンはすでに完了または中止です。期限は変更できません。"))
    state = DueDateChangeRequest.State.APPROVED if approve else DueDateChangeRequest.State.REJECTED
    now = timezone.now()
    with transaction.atomic():
        # Claim the request: of two decisions (two admins, a double click) exactly one changes the row.
        claimed = DueDateChangeRequest.objects.filter(pk=change.pk, state=DueDateChangeRequest.State.PENDING).update(
            state=state, decided_by=user, decided_at=now, decision_comment=comment.strip()
        )
        if not claimed:
            raise ValidationError(_("この申請はすでに判断済みです。画面を開き直してください。"))
        if approve:
            _move_due_date(
                milestone_id=milestone.pk,
                user=user,
                due_date=change.requested_due_date,
                reason=_("期限の変更申請を承認（申請 %(id)s）") % {"id": change.pk},
            )
    change.refresh_from_db()
    return change


def _move_due_date(*, milestone_id: int, user: User, due_date: dt.date, reason: str) -> Milestone:
    """Set the due date on the current row (read afresh, claimed by version), keeping everything else as the
    last save left it."""
    for _attempt in range(5):
        current = Milestone.objects.select_related("measure", "plan").get(pk=milestone_id)
        claimed = Milestone.objects.filter(pk=milestone_id, version=current.version).update(version=F("version") + 1)
        if claimed:
            break
    else:  # pragma: no cover - five saves in between: give up rather than overwrite
        raise ValidationError(_("マイルストーンが同時に更新されています。しばらくしてからもう一度承認してください。"))
    current.version += 1
    current.due_date = due_date
    current.updated_by = user
    current._history_user = user
    current._change_reason = reason[:100]
    current.save()
    return current


def milestone_next_version(milestone: Milestone) -> int:
    """The version an edit made outside `milestone_update` (the Django admin) saves with: one past the stored one,
    so a staff save made on a page loaded before it gets MilestoneConflict instead of overwriting it. Call inside
    the transaction that saves (the row stays locked until then on PostgreSQL)."""
    current = Milestone.objects.select_for_update().filter(pk=milestone.pk).values_list("version", flat=True).first()
    return (current or milestone.version) + 1
