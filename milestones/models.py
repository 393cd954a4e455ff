"""Milestones of a measure (工程表) and the log of reminders sent about them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.text import SingleLineNames
from measures.models import OPEN_STATUSES, Measure, WorkStatus, completion_date_error
from plans.models import Department, Plan


class MilestoneQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # Imports and generators create milestones in bulk (no save()): they get their 当初期限 here too.
        objs = list(objs)
        for obj in objs:
            if obj.baseline_due_date is None:
                obj.baseline_due_date = obj.due_date
        return super().bulk_create(objs, *args, **kwargs)


class Milestone(SingleLineNames, models.Model):
    single_line_fields = ("title",)

    class Kind(models.TextChoices):
        INTERIM = "interim", _("中間指標")
        GOAL = "goal", _("到達目標")

    Status = WorkStatus
    OPEN_STATUSES = OPEN_STATUSES  # measures.models: the one definition of "open"

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("計画"), editable=False
    )
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("施策"))
    code = models.CharField(_("マイルストーンコード"), max_length=32)
    title = models.CharField(_("マイルストーン名"), max_length=200)
    kind = models.CharField(_("種別"), max_length=8, choices=Kind.choices, default=Kind.INTERIM)
    due_date = models.DateField(_("期限"))
    baseline_due_date = models.DateField(
        _("当初期限"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("最初に登録（または取込）したときの期限。期限の変更では変わりません"),
    )
    owner_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="milestones",
        verbose_name=_("担当部署"),
        blank=True,
        help_text=_("空欄なら施策の担当部署"),
    )
    status = models.CharField(_("状況"), max_length=16, choices=WorkStatus.choices, default=WorkStatus.NOT_STARTED)
    completed_on = models.DateField(_("完了日"), null=True, blank=True)
    comment = models.TextField(_("コメント"), blank=True)
    version = models.PositiveIntegerField(
        _("更新回数"), default=1, editable=False, help_text=_("同時編集の検出に使います")
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("更新者"),
    )
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    history = HistoricalRecords()

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("マイルストーン")
        verbose_name_plural = _("マイルストーン")
        ordering = ["due_date", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="milestone_code_unique_per_plan"),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_on__isnull=False), name="milestone_done_has_completed_on"
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "due_date"], name="milestone_plan_due_idx"),
            models.Index(fields=["owner_department", "due_date"], name="milestone_owner_due_idx"),
            models.Index(fields=["status", "due_date"], name="milestone_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.plan.municipality_id

    def owner_department_ids(self) -> set[int]:
        """The departments whose staff may change this object."""
        return {self.owner_department_id, self.measure.owner_department_id}

    def clean(self) -> None:
        message = completion_date_error(self.status, self.completed_on)
        if message:
            raise ValidationError({"completed_on": message})

    def save(self, *args, **kwargs) -> None:
        self.plan_id = self.measure.plan_id
        if not self.owner_department_id:
            self.owner_department_id = self.measure.owner_department_id
        if self.baseline_due_date is None:
            self.baseline_due_date = self.due_date
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due_date < today

    @property
    def slip_days(self) -> int:
        """Days the due date moved from its 当初期限 (positive = later)."""
        return (self.due_date - (self.baseline_due_date or self.due_date)).days


class DueDateChangeRequest(models.Model):
    """A department's request to move a milestone's due date; the 事務局 approves or rejects it.
    An approved request moves Milestone.due_date (its 当初期限 stays): the approved requests are the slippage."""

    class State(models.TextChoices):
        PENDING = "pending", _("承認待ち")
        APPROVED = "approved", _("承認")
        REJECTED = "rejected", _("却下")

    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="due_date_requests", verbose_name=_("マイルストーン")
    )
    previous_due_date = models.DateField(_("変更前の期限"))
    requested_due_date = models.DateField(_("希望する期限"))
    reason = models.TextField(_("変更の理由"))
    state = models.CharField(_("状態"), max_length=8, choices=State.choices, default=State.PENDING, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("申請者")
    )
    requested_at = models.DateTimeField(_("申請日時"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("判断した人"),
    )
    decided_at = models.DateTimeField(_("判断日時"), null=True, blank=True)
    decision_comment = models.TextField(_("事務局のコメント"), blank=True)

    class Meta:
        verbose_name = _("期限の変更申請")
        verbose_name_plural = _("期限の変更申請")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open request per milestone: a second one is refused (the database settles a race).
            models.UniqueConstraint(
                fields=["milestone"], condition=Q(state="pending"), name="due_date_request_one_pending_per_milestone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.milestone} {self.previous_due_date:%Y/%m/%d}→{self.requested_due_date:%Y/%m/%d}"

    def owning_municipality_id(self) -> int:
        return self.milestone.plan.municipality_id

    def owner_department_ids(self) -> set[int]:
        return self.milestone.owner_department_ids()

    @property
    def shift_days(self) -> int:
        return (self.requested_due_date - self.previous_due_date).days


class ReminderLog(models.Model):
    """One reminder stage claimed for one milestone (or one staleness notice for one measure).

    The unique key (milestone, stage, due_date) is the claim: a run inserts the row before sending,
    and only the run whose insert succeeded sends. A changed due date makes a new key: stages start afresh.
    """

    class State(models.TextChoices):
        CLAIMED = "claimed", _("送信中")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信失敗")
        SKIPPED = "skipped", _("省略")

    # No index of their own: the unique constraints below lead with milestone / measure (partial, WHERE … IS NOT
    # NULL, which every lookup by a given id implies), so they serve the cascades and the joins.
    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name=_("マイルストーン"),
        db_index=False,
    )
    measure = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name=_("施策"),
        db_index=False,
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("部署")
    )
    # An extra digest section's object (milestones.reminders.sections): its provider's key and the object's id.
    section = models.CharField(_("通知の種類"), max_length=32, blank=True, default="")
    object_id = models.PositiveBigIntegerField(_("対象のID"), null=True, blank=True)
    stage = models.CharField(_("段階"), max_length=32)
    due_date = models.DateField(_("期限（送信時）"))
    run_date = models.DateField(_("実行日"))
    state = models.CharField(_("状態"), max_length=8, choices=State.choices, default=State.CLAIMED)
    recipients = models.JSONField(_("宛先"), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    error = models.TextField(_("エラー"), blank=True)
    escalated = models.BooleanField(_("管理者へ通知"), default=False)
    claimed_at = models.DateTimeField(_("確保日時"), auto_now_add=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知履歴")
        verbose_name_plural = _("通知履歴")
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "stage", "due_date"],
                condition=Q(milestone__isnull=False),
                name="reminder_once_per_milestone_stage_due",
            ),
            models.UniqueConstraint(
                fields=["measure", "stage", "due_date"],
                condition=Q(measure__isnull=False),
                name="reminder_once_per_measure_stage",
            ),
            models.UniqueConstraint(
                fields=["section", "object_id", "stage", "due_date"],
                condition=Q(object_id__isnull=False),
                name="reminder_once_per_section_object",
            ),
        ]
        indexes = [models.Index(fields=["state", "run_date"], name="reminder_state_idx")]

    def __str__(self) -> str:
        return f"{self.milestone or self.measure or f'{self.section} #{self.object_id}'} {self.stage}"

    def owning_municipality_id(self) -> int:
        return self.department.municipality_id
