"""`manage.py send_reminders [--date YYYY-MM-DD] [--dry-run]`: the same run as the beat task, sent inline
(for cron, and for the embedded default without Redis)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.cli import CommandProgress
from core.fiscal import format_wareki
from milestones.reminders import describe_digest, run_reminders


class Command(BaseCommand):
    help = "期限通知（部署ごとのまとめメール）を送信します。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="実行日 YYYY-MM-DD（既定: 今日）")
        parser.add_argument("--dry-run", action="store_true", help="送信せず、誰に何を送るかを表示します")

    def handle(self, *args, date: str | None = None, dry_run: bool = False, **options) -> None:
        try:
            run_date = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"日付は YYYY-MM-DD の形で指定してください: {date}")
        with CommandProgress(self, options, unit="通") as bars:
            report = run_reminders(run_date=run_date, dry_run=dry_run, inline=True, progress=bars)
        label = format_wareki(run_date, weekday=True)
        if not report.business_day:
            self.stdout.write(f"{label} は閉庁日のため送信しません（次の開庁日にまとめて送ります）。")
            return
        if not report.digests:
            self.stdout.write(f"{label}: 送信する通知はありません。")
            return
        for digest in report.digests:
            self.stdout.write(describe_digest(digest))
        verb = "送信予定" if dry_run else "送信"
        self.stdout.write(f"{label}: {len(report.digests)}通を{verb}（{sum(len(d.items) for d in report.digests)}件）")
        if report.failed:
            raise CommandError(f"{report.failed}通の送信に失敗しました（通知履歴に記録済み。次回の実行で再送します）。")
