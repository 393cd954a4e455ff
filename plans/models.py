"""Municipalities, departments, the national framework (editions, items, crosswalk), plans and pillars,
memberships (who belongs where), import runs and the audit log."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.fiscal import format_fiscal_year
from core.text import SingleLineNames

from .validators import validate_municipality_code

PREFECTURES = (
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
)


class Municipality(SingleLineNames, models.Model):
    single_line_fields = ("name",)
    code = models.CharField(
        _("団体コード"),
        max_length=6,
        unique=True,
        validators=[validate_municipality_code],
        help_text=_("全国地方公共団体コード（6桁、検査数字付き）"),
    )
    name = models.CharField(_("団体名"), max_length=100)
    name_kana = models.CharField(_("団体名（かな）"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("自治体")
        verbose_name_plural = _("自治体")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.pk

    @property
    def prefecture_code(self) -> str:
        return self.code[:2]

    @property
    def prefecture(self) -> str:
        return PREFECTURES[int(self.code[:2]) - 1]


class Department(SingleLineNames, models.Model):
    single_line_fields = ("name",)

    class Level(models.TextChoices):
        BU = "bu", _("部")
        KA = "ka", _("課")
        KAKARI = "kakari", _("係")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="departments", verbose_name=_("自治体")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上位部署")
    )
    code = models.CharField(_("部署コード"), max_length=32)
    name = models.CharField(_("部署名"), max_length=100)
    level = models.CharField(_("階層"), max_length=8, choices=Level.choices, default=Level.KA)
    email = models.EmailField(_("メールアドレス"), blank=True, help_text=_("期限通知の送り先"))
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    calendar_token = models.CharField(
        _("カレンダー配信トークン"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("空にすると配信URLは無効になります"),
    )

    class Meta:
        verbose_name = _("部署")
        verbose_name_plural = _("部署")
        ordering = ["municipality", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="department_code_unique_per_municipality"),
        ]

    def __str__(self) -> str:
        return self.name

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.municipality_id

    def clean(self) -> None:
        if self.parent_id and self.parent.municipality_id != self.municipality_id:
            raise ValidationError({"parent": _("上位部署は同じ自治体の部署を選んでください。")})
        node, seen = self.parent, set()
        while node is not None and self.pk:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("部署の親子関係が循環しています。")})
            seen.add(node.pk)
            node = node.parent

    def rotate_calendar_token(self) -> str:
        self.calendar_token = secrets.token_urlsafe(32)
        self.save(update_fields=["calendar_token"])
        return self.calendar_token


class FrameworkEdition(SingleLineNames, models.Model):
    single_line_fields = ("name",)
    """An edition of 総務省「自治体DX推進計画」(第1.0版 2020-12-25, 第2.0版 …)."""

    code = models.CharField(_("版コード"), max_length=16, unique=True)
    name = models.CharField(_("版"), max_length=100)
    published_on = models.DateField(_("公表日"))
    period_start = models.DateField(_("計画期間（開始）"), null=True, blank=True)
    period_end = models.DateField(_("計画期間（終了）"), null=True, blank=True)
    is_default = models.BooleanField(_("既定"), default=False)

    class Meta:
        verbose_name = _("国の計画の版")
        verbose_name_plural = _("国の計画の版")
        ordering = ["published_on"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_edition"),
        ]

    def __str__(self) -> str:
        return self.name


class NationalItem(SingleLineNames, models.Model):
    single_line_fields = ("group", "name", "short_name")
    """One item (取組事項) of an edition, e.g. 第1.0版 no. 1 自治体の情報システムの標準化・共通化."""

    edition = models.ForeignKey(FrameworkEdition, on_delete=models.CASCADE, related_name="items", verbose_name=_("版"))
    number = models.PositiveSmallIntegerField(_("番号"))
    group = models.CharField(_("区分"), max_length=64)
    name = models.CharField(_("取組事項"), max_length=200)
    short_name = models.CharField(_("略称"), max_length=64)
    description = models.TextField(_("内容"), blank=True)
    national_deadline = models.DateField(_("国の期限"), null=True, blank=True)
    deadline_note = models.CharField(_("期限の説明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("国の取組事項")
        verbose_name_plural = _("国の取組事項")
        ordering = ["edition", "number"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "number"], name="national_item_number_unique_per_edition"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class ItemCrosswalk(models.Model):
    """Maps an item of one edition onto an item of another (行政手続のオンライン化 → フロントヤード改革)."""

    from_item = models.ForeignKey(
        NationalItem, on_delete=models.CASCADE, related_name="crosswalk_out", verbose_name=_("移行元")
    )
    to_item = models.ForeignKey(
        NationalItem, on_delete=models.CASCADE, related_name="crosswalk_in", verbose_name=_("移行先")
    )
    note = models.CharField(_("備考"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("版の対応")
        verbose_name_plural = _("版の対応")
        constraints = [models.UniqueConstraint(fields=["from_item", "to_item"], name="crosswalk_pair_unique")]

    def __str__(self) -> str:
        return f"{self.from_item} → {self.to_item}"


class Plan(SingleLineNames, models.Model):
    single_line_fields = ("title",)

    class Status(models.TextChoices):
        DRAFT = "draft", _("策定中")
        APPROVED = "approved", _("策定済み")
        ARCHIVED = "archived", _("終了")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="plans", verbose_name=_("自治体")
    )
    code = models.SlugField(_("計画コード"), max_length=50, help_text=_("英数字。インポートやURLで使います"))
    title = models.CharField(_("計画名"), max_length=200)
    vision = models.TextField(_("目指す姿"), blank=True)
    start_fy = models.PositiveSmallIntegerField(_("計画期間（開始年度）"))
    end_fy = models.PositiveSmallIntegerField(_("計画期間（終了年度）"))
    edition = models.ForeignKey(
        FrameworkEdition, on_delete=models.PROTECT, related_name="plans", verbose_name=_("準拠する国の計画")
    )
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(_("版数"), default=1)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("計画")
        verbose_name_plural = _("計画")
        ordering = ["municipality", "-start_fy", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="plan_code_unique_per_municipality"),
            models.CheckConstraint(condition=Q(end_fy__gte=models.F("start_fy")), name="plan_period_ordered"),
        ]

    def __str__(self) -> str:
        return self.title

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.municipality_id

    @property
    def period_label(self) -> str:
        return f"{format_fiscal_year(self.start_fy)}〜{format_fiscal_year(self.end_fy)}"

    @staticmethod
    def in_force_q(prefix: str = "") -> Q:
        """Plans whose milestones are worked on and reminded: not archived (終了), and not the draft of a later
        version (a revision being prepared duplicates the current plan's items until it is approved). A
        first version in draft is in force: cities track a plan while it is being finalised."""
        p = f"{prefix}__" if prefix else ""
        return ~Q(**{f"{p}status": Plan.Status.ARCHIVED}) & ~Q(
            **{f"{p}status": Plan.Status.DRAFT, f"{p}version__gt": 1}
        )

    def clean(self) -> None:
        if self.start_fy and self.end_fy and self.end_fy < self.start_fy:
            raise ValidationError({"end_fy": _("終了年度は開始年度以降にしてください。")})


class Pillar(SingleLineNames, models.Model):
    single_line_fields = ("name",)
    """施策の柱 / 基本目標, optionally nested (基本目標 → 取組分野)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="pillars", verbose_name=_("計画"))
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("上位の柱")
    )
    code = models.CharField(_("柱コード"), max_length=32)
    name = models.CharField(_("施策の柱"), max_length=200)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("施策の柱")
        verbose_name_plural = _("施策の柱")
        ordering = ["plan", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="pillar_code_unique_per_plan")]

    def __str__(self) -> str:
        return self.name

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.plan.municipality_id


class Membership(SingleLineNames, models.Model):
    single_line_fields = ("display_name",)
    """Ties a user to a municipality and the departments they work for.

    The role is the user's Group (admin / staff / council / viewer). A viewer may also compare
    municipalities: `compare_scope` is blank (own only), a 2-digit prefecture code, or "national".
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("ユーザー")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("自治体")
    )
    departments = models.ManyToManyField(Department, blank=True, related_name="members", verbose_name=_("所属部署"))
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    receives_reminders = models.BooleanField(_("期限通知メールを受け取る"), default=True)
    compare_scope = models.CharField(
        _("比較できる範囲"),
        max_length=16,
        blank=True,
        help_text=_("空欄: 自団体のみ / 都道府県コード2桁 / national（全国）"),
    )

    class Meta:
        verbose_name = _("所属")
        verbose_name_plural = _("所属")

    def __str__(self) -> str:
        return f"{self.user} @ {self.municipality}"

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.municipality_id


class ImportRun(models.Model):
    """One Excel/CSV import of a plan: who, when, which file, what it did."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("プレビューのみ")
        APPLIED = "applied", _("取込済み")
        FAILED = "failed", _("エラー")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="imports", verbose_name=_("計画"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("実行者")
    )
    file_name = models.CharField(_("ファイル名"), max_length=255)
    file_sha256 = models.CharField(_("ファイルのハッシュ"), max_length=64, blank=True)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices)
    counts = models.JSONField(_("件数"), default=dict, blank=True)
    errors = models.JSONField(_("エラー"), default=list, blank=True)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("インポート履歴")
        verbose_name_plural = _("インポート履歴")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    def owning_municipality_id(self) -> int:
        """The municipality this object belongs to (plans.permissions asks every object this)."""
        return self.plan.municipality_id


class AuditEvent(models.Model):
    """Append-only log: logins, failed logins, imports, exports, permission changes, and every write to plans,
    measures, milestones, KPIs, progress reports and due-date requests (who, what, before → after)."""

    class Action(models.TextChoices):
        LOGIN = "login", _("ログイン")
        LOGIN_FAILED = "login_failed", _("ログイン失敗")
        LOGOUT = "logout", _("ログアウト")
        IMPORT = "import", _("インポート")
        EXPORT = "export", _("エクスポート")
        PERMISSION_CHANGE = "permission_change", _("権限変更")
        DATA_CHANGE = "data_change", _("データ変更")

    at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("ユーザー")
    )
    username = models.CharField(_("ユーザー名"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=32, choices=Action.choices, db_index=True)
    target = models.CharField(_("対象"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)
    detail = models.JSONField(_("詳細"), default=dict, blank=True)

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()}"
