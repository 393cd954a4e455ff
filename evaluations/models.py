"""The annual evaluation (年度評価) of a plan's measures: a round per fiscal year, one evaluation per measure.

A round is opened by the 事務局, departments draft and submit their measures' evaluations, the 事務局 accepts them
or sends them back (差戻し), the 本部 approves the round (after which nothing is editable) and publishes it as the
進捗状況報告書. The state machines are enforced by evaluations/services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.fiscal import format_fiscal_year
from measures.models import Indicator, Measure
from plans.models import Plan

DEFAULT_GRADE_SCALE = "A,B,C,D"


class EvaluationRound(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("評価中")
        APPROVED = "approved", _("本部承認済み（確定）")
        PUBLISHED = "published", _("公表済み")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="evaluation_rounds", verbose_name=_("計画"))
    fiscal_year = models.PositiveSmallIntegerField(_("評価対象年度"))
    state = models.CharField(_("状態"), max_length=16, choices=State.choices, default=State.OPEN)
    grade_scale = models.CharField(
        _("自己評価の段階"),
        max_length=100,
        default=DEFAULT_GRADE_SCALE,
        help_text=_("評価の記号を良い順にカンマ区切りで（例: A,B,C,D または S,A,B,C）"),
    )
    opened_at = models.DateTimeField(_("開始日時"), auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("開始者"),
    )
    approved_at = models.DateTimeField(_("本部承認日時"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("本部承認者"),
    )
    published_at = models.DateTimeField(_("公表日時"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("年度評価")
        verbose_name_plural = _("年度評価")
        ordering = ["plan", "-fiscal_year"]
        constraints = [models.UniqueConstraint(fields=["plan", "fiscal_year"], name="one_evaluation_round_per_fy")]

    def __str__(self) -> str:
        return f"{self.plan.title} {self.fiscal_year_label}"

    @property
    def fiscal_year_label(self) -> str:
        return format_fiscal_year(self.fiscal_year)

    @property
    def grades(self) -> list[str]:
        return [g.strip() for g in self.grade_scale.split(",") if g.strip()]

    @property
    def is_locked(self) -> bool:
        return self.state != self.State.OPEN

    @property
    def is_reportable(self) -> bool:
        return self.state in (self.State.APPROVED, self.State.PUBLISHED)


class Direction(models.TextChoices):
    """今後の方向性, as cities publish it."""

    EXPAND = "expand", _("拡充")
    CONTINUE = "continue", _("継続")
    IMPROVE = "improve", _("改善")
    REDUCE = "reduce", _("縮小")
    ABOLISH = "abolish", _("廃止")
    COMPLETE = "complete", _("完了")


class MeasureEvaluation(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("作成中")
        SUBMITTED = "submitted", _("提出済み")
        RETURNED = "returned", _("差戻し")
        ACCEPTED = "accepted", _("受理")

    EDITABLE_STATES = (State.DRAFT, State.RETURNED)

    round = models.ForeignKey(
        EvaluationRound, on_delete=models.CASCADE, related_name="evaluations", verbose_name=_("年度評価")
    )
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="evaluations", verbose_name=_("施策"))
    state = models.CharField(_("状態"), max_length=16, choices=State.choices, default=State.DRAFT)
    achievements = models.TextField(_("取組実績"), blank=True)
    self_grade = models.CharField(_("自己評価"), max_length=8, blank=True)
    outcomes = models.TextField(_("成果"), blank=True)
    issues = models.TextField(_("課題"), blank=True)
    direction = models.CharField(_("今後の方向性"), max_length=16, choices=Direction.choices, blank=True)
    settled_cost_thousand_yen = models.BigIntegerField(
        _("事業費 決算（千円）"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    hours_saved_per_year = models.DecimalField(
        _("削減された業務時間（時間/年）"),
        max_digits=12,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    evidence_links = models.TextField(_("根拠資料のリンク"), blank=True, help_text=_("1行に1つのURL"))
    return_comment = models.TextField(_("差戻しの理由"), blank=True)
    submitted_at = models.DateTimeField(_("提出日時"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提出者"),
    )
    reviewed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("確認者"),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("施策の年度評価")
        verbose_name_plural = _("施策の年度評価")
        ordering = ["round", "measure__sort_order", "measure__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "measure"], name="one_evaluation_per_measure_and_round"),
            models.CheckConstraint(
                condition=Q(settled_cost_thousand_yen__isnull=True) | Q(settled_cost_thousand_yen__gte=0),
                name="evaluation_cost_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(hours_saved_per_year__isnull=True) | Q(hours_saved_per_year__gte=0),
                name="evaluation_hours_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure} ({self.round.fiscal_year_label})"

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE_STATES and self.round.state == EvaluationRound.State.OPEN

    @property
    def evidence_list(self) -> list[str]:
        return [line.strip() for line in self.evidence_links.splitlines() if line.strip()]


class EvaluationIndicator(models.Model):
    """The KPI figures of one evaluation: a snapshot of the KPI's 基準値 and 目標値 and the year's 実績値,
    pre-filled from the recorded values when the round opens; the department may correct the 実績値."""

    evaluation = models.ForeignKey(
        MeasureEvaluation, on_delete=models.CASCADE, related_name="kpis", verbose_name=_("施策の年度評価")
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+", verbose_name=_("指標"))
    baseline_value = models.DecimalField(_("基準値"), max_digits=18, decimal_places=4, null=True, blank=True)
    target_value = models.DecimalField(_("目標値"), max_digits=18, decimal_places=4, null=True, blank=True)
    actual_value = models.DecimalField(_("実績値"), max_digits=18, decimal_places=4, null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("年度評価の指標")
        verbose_name_plural = _("年度評価の指標")
        ordering = ["evaluation", "indicator__sort_order", "indicator__code"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "indicator"], name="one_figure_per_indicator_and_evaluation")
        ]
