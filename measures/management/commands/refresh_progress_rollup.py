"""Rebuild the progress roll-up (per measure, and its per-(plan, item) sums), or with --check list rows that differ
from the live data."""

from django.core.management.base import BaseCommand, CommandError

from measures.rollup import inconsistent_plan_items, inconsistent_rows, refresh_plan_items, refresh_rollup


class Command(BaseCommand):
    help = "施策の進捗集計（全国比較用）を再計算します。--check は差異の確認のみ。"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="書き込まずに差異だけを表示する")
        parser.add_argument("--plan", type=int, action="append", dest="plans", help="計画ID（複数指定可）")
        parser.add_argument(
            "--plan-items",
            action="store_true",
            help="計画×国の取組事項の集計だけを施策の集計から作り直す（遅延数の有効期間を今日に合わせる。毎日実行可）",
        )

    def handle(self, *args, check: bool, plans: list[int] | None, plan_items: bool, **options):
        if not check:
            if plan_items:
                refresh_plan_items(plan_ids=plans)
            else:
                refresh_rollup(plan_ids=plans)
        diffs = inconsistent_rows(plan_ids=plans)
        for measure_id, stored, live in diffs[:20]:
            self.stdout.write(f"measure {measure_id}: stored={stored} live={live}")
        cell_diffs = inconsistent_plan_items(plan_ids=plans)
        for (plan_id, item_id), stored, live in cell_diffs[:20]:
            self.stdout.write(f"plan {plan_id} item {item_id}: stored={stored} live={live}")
        if diffs or cell_diffs:
            raise CommandError(f"{len(diffs) + len(cell_diffs)} rows differ from the live data")
        self.stdout.write(self.style.SUCCESS("roll-up consistent with the live data"))
