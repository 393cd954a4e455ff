from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devdata.demo import DEMO_PASSWORD, USERS, seed_demo


class Command(BaseCommand):
    help = "デモ用の自治体（さくら台市）、計画、デモユーザーを作成します（何度実行しても同じ結果）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="DEBUG=False でも実行する（既知のパスワードのユーザーが作られます）",
        )
        parser.add_argument("--reset", action="store_true", help="デモ計画の施策・マイルストーンを初期状態に戻す")

    def handle(self, *args, allow_production: bool = False, reset: bool = False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("DEBUG=False の環境ではデモデータを作成しません（--allow-production で強制）。")
        plan = seed_demo(reset=reset)
        self.stdout.write(
            self.style.SUCCESS(
                f"デモデータ: {plan.municipality.name}「{plan.title}」 施策 {plan.measures.count()} 件、"
                f"マイルストーン {plan.milestones.count()} 件"
            )
        )
        self.stdout.write(f"デモユーザー（パスワードはすべて {DEMO_PASSWORD}、ローカル専用）:")
        for username, role, _d, display, _s in USERS:
            self.stdout.write(f"  {username:8} {role.label} — {display}")
