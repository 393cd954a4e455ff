"""Measures (施策/事業), their KPIs (指標) with recorded values, and append-only progress updates."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.numbers import DecimalsThatFit
from core.text import SingleLineNames
from plans.models import Department, NationalItem, Pillar, Plan


class WorkStatus(models.TextChoices):
    """Status of a measure's progress update and of a milestone (docs/progress.md)."""

    NOT_STARTED = "not_started", _("未着手")
    IN_PROGRESS = "in_progress", _("進行中")
    DONE = "done", _("完了")
    DELAYED = "delayed", _("遅延")
    CANCELLED = "cancelled", _("中止")


# The milestone states every query, SQL string, template and e-mail builds on (docs/progress.md):
# open = still to be done; started = work has begun (or is done). "Overdue" and "due soon" are open
# milestones past their due date / due within DUE_SOON_DAYS: measures/progress.py builds them from these.
OPEN_STATUSES: tuple[str, ...] = (WorkStatus.NOT_STARTED, WorkStatus.IN_PROGRESS, WorkStatus.DELAYED)
STARTED_STATUSES: tuple[str, ...] = (WorkStatus.IN_PROGRESS, WorkStatus.DONE, WorkStatus.DELAYED)


def sql_in(statuses: tuple[str, ...]) -> str:
    """A status tuple as an SQL list literal, for the hand-written roll-up SQL: "('a', 'b')"."""
    return "(" + ", ".join("'" + str(s).replace("'", "''") + "'" for s in statuses) + ")"


def completion_date_error(status: str, completed_on) -> str | None:
    """ "完了 needs a 完了日, and only 完了 has one": the message when a status and a 完了日 disagree."""
    if status == WorkStatus.DONE and not completed_on:
        return str(_("完了にするときは完了日を入力してください。"))
    if status != WorkStatus.DONE and completed_on:
        return str(_("完了日は状況が「完了」のときだけ入力できます。"))
    return None


class ChangeLevel(models.TextChoices):
    """How deep a measure changes the work: the seeds' 「D」 (tools) vs 「X」 (transformation)."""

    DIGITIZATION = "digitization", _("デジタル化")
    BPR = "bpr", _("業務改革")
    TRANSFORMATION = "transformation", _("変革")


class Audience(models.TextChoices):
    RESIDENTS = "residents", _("住民サービス")
    INTERNAL = "internal", _("内部事務")


class Channel(models.TextChoices):
    ONLINE = "online", _("オンライン")
    COUNTER = "counter", _("窓口")
    BOTH = "both", _("オンラインと窓口")


class Measure(SingleLineNames, models.Model):
    single_line_fields = ("title",)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="measures", verbose_name=_("計画"))
    code = models.CharField(_("施策コード"), max_length=32)
    title = models.CharField(_("施策名"), max_length=200)
    summary = models.TextField(_("概要"), blank=True)
    current_issues = models.TextField(_("現状・課題"), blank=True)
    national_items = models.ManyToManyField(NationalItem, related_name="measures", verbose_name=_("国の取組項目"))
    owner_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="measures", verbose_name=_("担当部署")
    )
    pillar = models.ForeignKey(
        Pillar, on_delete=models.SET_NULL, null=True, blank=True, related_name="measures", verbose_name=_("施策の柱")
    )
    start_fy = models.PositiveSmallIntegerField(_("開始年度"), null=True, blank=True)
    end_fy = models.PositiveSmallIntegerField(_("終了年度"), null=True, blank=True)
    budget_thousand_yen = models.BigIntegerField(_("予算（千円）"), null=True, blank=True)
    change_level = models.CharField(_("変革の段階"), max_length=16, choices=ChangeLevel.choices, blank=True)
    audience = models.CharField(_("対象"), max_length=16, choices=Audience.choices, blank=True)
    channel = models.CharField(_("チャネル"), max_length=16, choices=Channel.choices, blank=True)
    is_gx = models.BooleanField(_("GX"), default=False)
    is_wellbeing = models.BooleanField(_("ウェルビーイング"), default=False)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[national_items])

    class Meta:
        verbose_name = _("施策")
        verbose_name_plural = _("施策")
        ordering = ["plan", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="measure_code_unique_per_plan"),
            models.CheckConstraint(
                condition=Q(start_fy__isnull=True) | Q(end_fy__isnull=True) | Q(end_fy__gte=models.F("start_fy")),
                name="measure_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["owner_department"], name="measure_owner_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def tag_labels(self) -> list[str]:
        """The value-lens tags as the UI and the workbook spell them (GX、ウェルビーイング、住民サービス/内部事務)."""
        tags = [str(_("GX"))] if self.is_gx else []
        if self.is_wellbeing:
            tags.append(str(_("ウェルビーイング")))
        if self.audience:
            tags.append(self.get_audience_display())
        return tags

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.plan.municipality_id

    def owner_department_ids(self) -> set[int]:
        """The departments whose staff may change this object."""
        return {self.owner_department_id}

    def clean(self) -> None:
        if self.start_fy and self.end_fy and self.end_fy < self.start_fy:
            raise ValidationError({"end_fy": _("終了年度は開始年度以降にしてください。")})
        if (
            self.owner_department_id
            and self.plan_id
            and self.owner_department.municipality_id != self.plan.municipality_id
        ):
            raise ValidationError({"owner_department": _("担当部署は計画と同じ自治体の部署を選んでください。")})


class Indicator(DecimalsThatFit, SingleLineNames, models.Model):
    single_line_fields = ("name", "unit")
    """A KPI of a measure: baseline → target, higher or lower is better, cumulative or annual."""

    class Direction(models.TextChoices):
        HIGHER = "higher", _("増加（大きいほど良い）")
        LOWER = "lower", _("減少（小さいほど良い）")

    class Accumulation(models.TextChoices):
        CUMULATIVE = "cumulative", _("累計")
        ANNUAL = "annual", _("単年度")

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("計画"), editable=False
    )
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("施策"))
    code = models.CharField(_("指標コード"), max_length=32)
    name = models.CharField(_("指標名"), max_length=200)
    unit = models.CharField(_("単位"), max_length=32, blank=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    accumulation = models.CharField(
        _("集計"), max_length=12, choices=Accumulation.choices, default=Accumulation.CUMULATIVE
    )
    baseline_value = models.DecimalField(_("基準値"), max_digits=18, decimal_places=4, null=True, blank=True)
    baseline_date = models.DateField(_("基準日"), null=True, blank=True)
    target_value = models.DecimalField(_("目標値"), max_digits=18, decimal_places=4, null=True, blank=True)
    target_fy = models.PositiveSmallIntegerField(_("目標年度"), null=True, blank=True)
    source = models.CharField(_("出典"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("指標（KPI）")
        verbose_name_plural = _("指標（KPI）")
        ordering = ["measure", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_unique_per_plan")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.plan.municipality_id

    def owner_department_ids(self) -> set[int]:
        """The departments whose staff may change this object."""
        return {self.measure.owner_department_id}

    def save(self, *args, **kwargs) -> None:
        self.plan_id = self.measure.plan_id
        super().save(*args, **kwargs)


class IndicatorValue(DecimalsThatFit, models.Model):
    """An actual value of a KPI at a date. A correction is a new row that `corrects` the old one, which
    stays (is_current=False): values are never overwritten."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values", verbose_name=_("指標"))
    value = models.DecimalField(_("実績値"), max_digits=18, decimal_places=4)
    as_of = models.DateField(_("実績日"))
    source = models.CharField(_("出典"), max_length=200, blank=True)
    note = models.CharField(_("備考"), max_length=500, blank=True)
    is_current = models.BooleanField(_("最新"), default=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
        verbose_name=_("訂正前の値"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("記録者"),
    )
    recorded_at = models.DateTimeField(_("記録日時"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("指標の実績値")
        verbose_name_plural = _("指標の実績値")
        ordering = ["indicator", "as_of", "recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "as_of"], condition=Q(is_current=True), name="one_current_value_per_indicator_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name}: {self.value} ({self.as_of})"

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.indicator.plan.municipality_id

    def owner_department_ids(self) -> set[int]:
        """The departments whose staff may change this object."""
        return {self.indicator.measure.owner_department_id}


class ProgressUpdate(models.Model):
    """Append-only: a report of a measure's status and % done. Never edited, never deleted."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="progress_updates", verbose_name=_("施策")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("報告者"),
    )
    created_at = models.DateTimeField(_("報告日時"), auto_now_add=True, db_index=True)
    status = models.CharField(_("状況"), max_length=16, choices=WorkStatus.choices)
    percent_done = models.PositiveSmallIntegerField(
        _("進捗率（%）"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    comment = models.TextField(_("コメント"), blank=True)
    is_internal = models.BooleanField(_("庁内限り"), default=False, help_text=_("公開ダッシュボードには表示しません"))
    import_run = models.ForeignKey(
        "plans.ImportRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("インポート"),
    )

    class Meta:
        verbose_name = _("進捗報告")
        verbose_name_plural = _("進捗報告")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["measure", "-created_at"], name="progress_measure_latest_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent_done__isnull=True) | Q(percent_done__lte=100), name="progress_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure.code} {self.get_status_display()} {self.created_at:%Y-%m-%d}"

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.measure.plan.municipality_id

    def owner_department_ids(self) -> set[int]:
        """The departments whose staff may change this object."""
        return {self.measure.owner_department_id}

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError(_("進捗報告は追記のみです。変更はできません。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("進捗報告は削除できません。"))


class MeasureRollup(models.Model):
    """One row per (measure, national item) — a measure without items has one row with item NULL —
    holding the milestone counts its progress is made of, so the national comparison groups 470k narrow rows
    instead of joining 1.7M milestones. Kept current on every milestone / progress-update / item-link write
    (measures/rollup.py signals); bulk writers call measures.rollup.refresh_rollup();
    `manage.py refresh_progress_rollup --check` proves it equals the live computation."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="rollups", verbose_name=_("施策"))
    item = models.ForeignKey(
        NationalItem, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("国の取組事項")
    )
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+", verbose_name=_("計画"))
    ms_total = models.PositiveIntegerField(_("マイルストーン数（中止を除く）"), default=0)
    ms_done = models.PositiveIntegerField(_("完了したマイルストーン数"), default=0)
    ms_started = models.PositiveIntegerField(_("着手したマイルストーン数"), default=0)
    first_open_due = models.DateField(_("未完了で最も早い期限"), null=True, blank=True)
    latest_percent = models.PositiveSmallIntegerField(_("最新の進捗率"), null=True, blank=True)
    latest_status = models.CharField(_("最新の状況"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("施策の進捗集計")
        verbose_name_plural = _("施策の進捗集計")
        constraints = [models.UniqueConstraint(fields=["measure", "item"], name="rollup_one_row_per_measure_item")]
        # The late count of a PlanItemRollup row whose window does not cover the day asked (measures/rollup.py):
        # an index-only range scan of one (plan, item).
        indexes = [models.Index(fields=["plan", "item", "first_open_due"], name="rollup_plan_item_due_idx")]


class PlanItemRollup(models.Model):
    """One row per (plan, national item): the MeasureRollup rows of that pair summed, so the national
    comparison reads ~1 row per cell instead of grouping every measure's row on each request.

    `num_hundredths` is the progress numerator × 100 as an exact integer (a measure with milestones adds
    ms_done × 100, one without adds its latest % capped at 100), `den` the denominator, `measures` the count.
    "Late" (a measure with an open milestone due before the day asked) depends on the day, so the row stores
    the count for a window of days: `late` measures have first_open_due <= `late_after`, none has one in
    (`late_after`, `late_until`), so `late` is exact for any day d with late_after < d <= late_until (NULL: no
    bound). For a day outside the window the comparison counts from MeasureRollup (an index range scan).
    Written only by measures/rollup.py, in the same transaction as the MeasureRollup rows it sums.
    Derived data: no database-level foreign keys (the scale generator deletes plans with raw SQL); rows of a
    plan deleted that way are ignored by the comparison and removed by the next bulk refresh."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+", verbose_name=_("計画")
    )  # indexed by the unique (plan, item) constraint
    item = models.ForeignKey(
        NationalItem,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("国の取組事項"),
    )
    num_hundredths = models.BigIntegerField(_("進捗の分子（×100）"), default=0)
    den = models.PositiveIntegerField(_("進捗の分母"), default=0)
    measures = models.PositiveIntegerField(_("施策数"), default=0)
    late = models.PositiveIntegerField(_("遅延の施策数"), default=0)
    late_after = models.DateField(_("遅延数が有効な期間の開始（この日の翌日から）"), null=True, blank=True)
    late_until = models.DateField(_("遅延数が有効な期間の終了（この日まで）"), null=True, blank=True)

    class Meta:
        verbose_name = _("計画×国の取組事項の進捗集計")
        verbose_name_plural = _("計画×国の取組事項の進捗集計")
        constraints = [models.UniqueConstraint(fields=["plan", "item"], name="planitemrollup_one_row_per_plan_item")]
