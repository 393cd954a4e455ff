"""A piece of long work (an import, a large export, a reminder run) done in the background, and how far it got."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from plans.models import Municipality


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("待機中")
        RUNNING = "running", _("実行中")
        SUCCEEDED = "succeeded", _("完了")
        FAILED = "failed", _("失敗")

    class Stage(models.TextChoices):
        READ = "read", _("読込")
        VALIDATE = "validate", _("検証")
        PREVIEW = "preview", _("プレビュー")
        APPLY = "apply", _("反映")
        BUILD = "build", _("作成")
        SEND = "send", _("送信")

    FINISHED = (State.SUCCEEDED, State.FAILED)

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="jobs", verbose_name=_("自治体")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("実行者"),
    )
    kind = models.CharField(_("種類"), max_length=64)
    parameters = models.JSONField(_("条件"), default=dict, blank=True)
    language = models.CharField(_("言語"), max_length=8, blank=True)
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)
    state = models.CharField(_("状態"), max_length=16, choices=State.choices, default=State.QUEUED)
    stage = models.CharField(_("段階"), max_length=16, choices=Stage.choices, blank=True)
    done = models.PositiveIntegerField(_("処理済み"), default=0)
    total = models.PositiveIntegerField(_("全体"), default=0)
    created_at = models.DateTimeField(_("受付"), auto_now_add=True)
    started_at = models.DateTimeField(_("開始"), null=True, blank=True)
    finished_at = models.DateTimeField(_("終了"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最終応答"), null=True, blank=True)
    input_file = models.BinaryField(_("入力ファイル"), null=True, blank=True, editable=False)
    result = models.JSONField(_("結果"), default=dict, blank=True)
    result_file = models.BinaryField(_("結果ファイル"), null=True, blank=True, editable=False)
    result_file_name = models.CharField(_("結果ファイル名"), max_length=255, blank=True)
    result_content_type = models.CharField(max_length=120, blank=True)
    error = models.TextField(_("エラー"), blank=True)

    class Meta:
        verbose_name = _("バックグラウンド処理")
        verbose_name_plural = _("バックグラウンド処理")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "heartbeat_at"]), models.Index(fields=["municipality", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.label}"

    def owning_municipality_id(self) -> int | None:
        """The municipality this job worked for (plans.permissions asks every object this)."""
        return self.municipality_id

    @property
    def label(self) -> str:
        from .registry import label_of

        return str(label_of(self.kind))

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)
