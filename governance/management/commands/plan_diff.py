"""manage.py plan_diff OLD_PLAN_ID NEW_PLAN_ID OUT.xlsx — the 新旧対照表 of two versions of a plan."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from plans.models import Plan

from ...plan_diff import diff_workbook, plan_diff


class Command(BaseCommand):
    help = "二つの版の計画の新旧対照表を .xlsx に書き出します（旧 | 新、追加・削除の行を明示）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("old_plan_id", type=int)
        parser.add_argument("new_plan_id", type=int)
        parser.add_argument("out", type=Path)

    def handle(self, *args, old_plan_id: int, new_plan_id: int, out: Path, **options) -> None:
        plans = Plan.objects.select_related("municipality", "edition").in_bulk([old_plan_id, new_plan_id])
        for pk in (old_plan_id, new_plan_id):
            if pk not in plans:
                raise CommandError(f"計画 ID {pk} は見つかりません。")
        if out.suffix.lower() != ".xlsx":
            raise CommandError(f"出力ファイル名は .xlsx で終わるようにしてください: {out}")
        try:
            rows = plan_diff(old=plans[old_plan_id], new=plans[new_plan_id])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages))
        if not out.parent.exists():
            raise CommandError(f"出力先のフォルダがありません: {out.parent}")
        out.write_bytes(diff_workbook(old=plans[old_plan_id], new=plans[new_plan_id], rows=rows))
        self.stdout.write(f"新旧対照表を書き出しました: {out}（変更 {len(rows)} 行）")
