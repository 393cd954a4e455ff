"""The municipal council (議会) as the portal needs it: its sessions (定例会/臨時会) and the executive's answers
(答弁) that commit to something, tracked like milestones."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.fiscal import fiscal_year_bounds
from measures.models import OPEN_STATUSES, Measure, WorkStatus
from plans.models import Department, Municipality


class CouncilSession(models.Model):
    class Kind(models.TextChoices):
        REGULAR = "regular", _("定例会")
        EXTRA = "extra", _("臨時会")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="council_sessions", verbose_name=_("自治体")
    )
    name = models.CharField(_("会議名"), max_length=100, help_text=_("例: 令和7年第3回定例会"))
    kind = models.CharField(_("種別"), max_length=8, choices=Kind.choices, default=Kind.REGULAR)
    starts_on = models.DateField(_("開会日"))
    ends_on = models.DateField(_("閉会日"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("議会の会議（定例会・臨時会）")
        verbose_name_plural = _("議会の会議（定例会・臨時会）")
        ordering = ["municipality", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="council_session_name_unique"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="council_session_ordered"),
        ]

    def __str__(self) -> str:
        return self.name

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.municipality_id

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("閉会日は開会日以降にしてください。")})


class Commitment(models.Model):
    """What the executive committed to in a council answer (答弁), e.g. 「10月を目途として要綱を改正する」.

    Its deadline is the due date, or the end of the fiscal year when only a year was promised. Status as a
    milestone's; overdue = open and the deadline passed (Commitment.is_overdue, the only definition)."""

    Status = WorkStatus
    OPEN_STATUSES = OPEN_STATUSES

    session = models.ForeignKey(
        CouncilSession, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("会議")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("自治体"), editable=False
    )
    questioner = models.CharField(_("質問者"), max_length=100, help_text=_("議員名（公開版には表示しません）"))
    answering_official = models.CharField(_("答弁者"), max_length=100, help_text=_("役職（例: 総務部長）"))
    subject = models.CharField(_("質問の項目"), max_length=200, blank=True)
    words = models.TextField(_("答弁の内容"), help_text=_("約束した内容（会議録から）"))
    due_date = models.DateField(_("期限"), null=True, blank=True)
    due_fy = models.PositiveSmallIntegerField(
        _("期限の年度"), null=True, blank=True, help_text=_("期限が年度だけのとき（年度末を期限とします）")
    )
    deadline = models.DateField(_("期限（判定用）"), editable=False, null=True)
    owner_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("担当部署")
    )
    record_url = models.URLField(_("会議録・映像のURL"), blank=True)
    measures = models.ManyToManyField(Measure, blank=True, related_name="commitments", verbose_name=_("関連する施策"))
    status = models.CharField(_("状況"), max_length=16, choices=WorkStatus.choices, default=WorkStatus.NOT_STARTED)
    completed_on = models.DateField(_("完了日"), null=True, blank=True)
    progress_note = models.TextField(_("進捗の説明"), blank=True, help_text=_("公開版にも表示します"))
    internal_note = models.TextField(_("庁内メモ"), blank=True, help_text=_("公開版には表示しません"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("答弁（約束事項）")
        verbose_name_plural = _("答弁（約束事項）")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__isnull=False) | Q(due_fy__isnull=False), name="commitment_has_due"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_on__isnull=False), name="commitment_done_has_completed_on"
            ),
        ]
        indexes = [models.Index(fields=["owner_department", "deadline"], name="commitment_owner_due_idx")]

    def __str__(self) -> str:
        return f"{self.session} {self.subject or self.words[:30]}"

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.municipality_id

    def owner_department_ids(self) -> set[int]:
        """The departments whose staff may change this object."""
        return {self.owner_department_id}

    def clean(self) -> None:
        errors = {}
        if not self.due_date and not self.due_fy:
            errors["due_date"] = _("期限の日付か年度のどちらかを入力してください。")
        if self.status == WorkStatus.DONE and not self.completed_on:
            errors["completed_on"] = _("完了にするときは完了日を入力してください。")
        if self.status != WorkStatus.DONE and self.completed_on:
            errors["completed_on"] = _("完了日は状況が「完了」のときだけ入力できます。")
        if (
            self.session_id
            and self.owner_department_id
            and self.owner_department.municipality_id != self.session.municipality_id
        ):
            errors["owner_department"] = _("担当部署は会議と同じ自治体の部署を選んでください。")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        self.municipality_id = self.session.municipality_id
        self.deadline = self.compute_deadline(due_date=self.due_date, due_fy=self.due_fy)
        super().save(*args, **kwargs)

    @staticmethod
    def compute_deadline(*, due_date: dt.date | None, due_fy: int | None) -> dt.date | None:
        if due_date:
            return due_date
        return fiscal_year_bounds(due_fy)[1] if due_fy else None

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.deadline is not None and self.deadline < today
