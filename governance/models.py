"""Governance of the plan: the 推進体制 (who leads and who works on DX), its meetings (本部会議, 推進チーム,
推進員部会) with their agenda, decisions and actions, and plan revisions (a new version of a plan and its
approval).

An action is a real milestones.Milestone (under the linked measure, or the plan's 「本部会議の決定事項」 measure),
so /work/, the reminders, the dashboards and the history see it without knowing this app exists.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from measures.models import Indicator, Measure
from milestones.models import Milestone
from plans.models import Department, Municipality, Plan


class BodyRole(models.TextChoices):
    """Roles of a DX推進本部, in the order a 推進体制図 lists them."""

    CHIEF = "chief", _("本部長")
    DEPUTY = "deputy", _("副本部長")
    CIO = "cio", _("CIO（最高情報責任者）")
    CIO_ADVISER = "cio_adviser", _("CIO補佐官")
    MEMBER = "member", _("本部員")
    PROMOTER = "promoter", _("推進員")
    SECRETARIAT = "secretariat", _("事務局")


ROLE_ORDER = [r.value for r in BodyRole]


class BodyMember(models.Model):
    """One seat of the municipality's DX推進本部: a role held by a person (a portal user, or a name only)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="body_members", verbose_name=_("自治体")
    )
    role = models.CharField(_("役割"), max_length=16, choices=BodyRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ユーザー"),
        help_text=_("ポータルのアカウントがある人のみ"),
    )
    name = models.CharField(
        _("氏名"),
        max_length=100,
        blank=True,
        help_text=_("アカウントがない人（外部のCIO補佐官など）は氏名を入力します"),
    )
    position = models.CharField(_("役職"), max_length=100, blank=True, help_text=_("例: 市長、総務部長"))
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="body_members",
        verbose_name=_("所属部署"),
    )
    is_external = models.BooleanField(_("外部人材"), default=False)
    name_is_public = models.BooleanField(
        _("氏名を公開する"),
        default=False,
        help_text=_("公開ページと議員・閲覧者の画面に氏名を表示します（役職は常に表示）"),
    )
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("推進体制のメンバー")
        verbose_name_plural = _("推進体制")
        ordering = ["municipality", "sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.user_id:
            from core.people import person_label

            return person_label(self.user)
        return ""

    def clean(self) -> None:
        if not self.name and not self.user_id:
            raise ValidationError({"name": _("氏名を入力するか、ユーザーを選んでください。")})
        if self.department_id and self.municipality_id and self.department.municipality_id != self.municipality_id:
            raise ValidationError({"department": _("所属部署は同じ自治体の部署を選んでください。")})
        if self.user_id and self.municipality_id:
            membership = getattr(self.user, "membership", None) if hasattr(self.user, "membership") else None
            if membership is None or membership.municipality_id != self.municipality_id:
                raise ValidationError({"user": _("同じ自治体のユーザーを選んでください。")})


class Meeting(models.Model):
    class Kind(models.TextChoices):
        HEADQUARTERS = "headquarters", _("本部会議")
        TEAM = "team", _("推進チーム会議")
        PROMOTERS = "promoters", _("推進員部会")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("自治体")
    )
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("計画"))
    kind = models.CharField(_("会議の種類"), max_length=16, choices=Kind.choices, default=Kind.HEADQUARTERS)
    number = models.PositiveSmallIntegerField(_("回"), null=True, blank=True, help_text=_("第何回か"))
    held_on = models.DateField(_("開催日"))
    place = models.CharField(_("場所"), max_length=200, blank=True)
    attendees = models.ManyToManyField(BodyMember, blank=True, related_name="meetings", verbose_name=_("出席者"))
    attendees_note = models.CharField(_("出席者（その他）"), max_length=500, blank=True)
    materials = models.TextField(_("資料"), blank=True, help_text=_("資料名を1行に1つ"))
    summary_public = models.TextField(_("議事要旨（公開）"), blank=True)
    summary_internal = models.TextField(_("議事要旨（庁内限り）"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("作成者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("会議")
        verbose_name_plural = _("会議")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["municipality", "held_on"], name="meeting_muni_held_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        kind = self.get_kind_display()
        if self.number:
            return _("第%(n)s回 %(kind)s") % {"n": self.number, "kind": kind}
        return str(kind)

    def clean(self) -> None:
        if self.plan_id and self.municipality_id and self.plan.municipality_id != self.municipality_id:
            raise ValidationError({"plan": _("会議と同じ自治体の計画を選んでください。")})


class AgendaItem(models.Model):
    """One item of a meeting's agenda, proposed from the plan's exceptions (or added by hand). `facts` is the
    situation as of the meeting date, kept as it was when the item was accepted."""

    class Source(models.TextChoices):
        OPEN_ACTION = "open_action", _("前回までの決定事項（未完了）")
        LATE_MEASURE = "late_measure", _("遅延している施策")
        KPI_D = "kpi_d", _("評価Dの指標")
        STALE = "stale", _("進捗報告が途絶えている施策")
        PAST_NATIONAL_DEADLINE = "past_national", _("国の期限を過ぎる予定")
        DUE_CHANGE_REQUEST = "due_change", _("期限変更の申請")
        SELF_ASSESSMENT = "self_assessment", _("自己評価と工程の不一致")
        MANUAL = "manual", _("その他（事務局が追加）")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("会議"))
    order = models.PositiveSmallIntegerField(_("順番"), default=0)
    source = models.CharField(_("種類"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    source_key = models.CharField(
        _("提案キー"), max_length=64, blank=True, editable=False, help_text=_("同じ提案を二度採用しないための識別子")
    )
    title = models.CharField(_("議題"), max_length=300)
    facts = models.TextField(_("状況（開催日時点）"), blank=True)
    note = models.TextField(_("事務局メモ"), blank=True)
    measure = models.ForeignKey(
        Measure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("施策")
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("マイルストーン")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("指標")
    )

    class Meta:
        verbose_name = _("議題")
        verbose_name_plural = _("議題")
        ordering = ["meeting", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "source_key"], condition=~Q(source_key=""), name="agenda_proposal_once_per_meeting"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("会議"))
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions", verbose_name=_("議題")
    )
    text = models.TextField(_("決定事項"))
    is_public = models.BooleanField(
        _("公開"), default=True, help_text=_("外すと庁内限り（議員・閲覧者には表示しません）")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("記録者"),
    )
    created_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("決定事項")
        verbose_name_plural = _("決定事項")
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Action(models.Model):
    """A task a decision gave a department: the milestone it is tracked as (owner, due date, status, history
    all live there)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="actions", verbose_name=_("決定事項"))
    milestone = models.OneToOneField(
        Milestone, on_delete=models.CASCADE, related_name="governance_action", verbose_name=_("マイルストーン")
    )

    class Meta:
        verbose_name = _("対応事項")
        verbose_name_plural = _("対応事項")
        ordering = ["decision", "id"]

    def __str__(self) -> str:
        return str(self.milestone)


class PlanRevision(models.Model):
    """A new version of a plan, copied from the current one, edited, compared (新旧対照表) and approved."""

    class Status(models.TextChoices):
        PENDING = "pending", _("承認待ち")
        APPROVED = "approved", _("承認済み")
        WITHDRAWN = "withdrawn", _("取り下げ")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="plan_revisions", verbose_name=_("自治体")
    )
    old_plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="revisions_from", verbose_name=_("改定前の計画")
    )
    new_plan = models.OneToOneField(
        Plan, on_delete=models.CASCADE, related_name="revision", verbose_name=_("改定後の計画")
    )
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(_("改定の理由"), blank=True)
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("決定した会議")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("作成者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("承認者"),
    )
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("計画の改定")
        verbose_name_plural = _("計画の改定")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["old_plan"], condition=Q(status="pending"), name="one_pending_revision_per_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.old_plan} → {self.new_plan}"
