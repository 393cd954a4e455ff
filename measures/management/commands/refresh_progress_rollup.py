"""Rebuild the progress roll-up, or with --check list rows that differ from the live data."""

from django.core.management.base import BaseCommand, CommandError

from measures.rollup import inconsistent_rows, refresh_rollup


class Command(BaseCommand):
    help = "施策の進捗集計（全国比較用）を再計算します。--check は差異の確認のみ。"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="書き込まずに差異だけを表示する")
        parser.add_argument("--plan", type=int, action="append", dest="plans", help="計画ID（複数指定可）")

    def handle(self, *args, check: bool, plans: list[int] | None, **options):
        if not check:
            refresh_rollup(plan_ids=plans)
        diffs = inconsistent_rows(plan_ids=plans)
        for measure_id, stored, live in diffs[:20]:
            self.stdout.write(f"measure {measure_id}: stored={stored} live={live}")
        if diffs:
            raise CommandError(f"{len(diffs)} rows differ from the live data")
        self.stdout.write(self.style.SUCCESS("roll-up consistent with the live data"))
