"""python manage.py import_plan FILE --plan PLAN_CODE [--dry-run] [--create-plan --title TITLE]"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.cli import CommandProgress
from core.fiscal import fiscal_year
from importing.preview import Preview
from importing.reading import ImportFileError, check_size
from importing.services import ImportBlocked, plan_import
from plans.models import FrameworkEdition, Municipality, Plan


class _DryRunRollback(Exception):
    pass


class Command(BaseCommand):
    help = gettext_lazy(
        "Excel（.xlsx）または CSV から計画を取り込みます。エラーが1件でもあれば何も書き込まず、"
        "エラー一覧を標準エラーに出して終了コード1で終わります。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=gettext_lazy("取り込むファイル（.xlsx または .csv）"))
        parser.add_argument("--plan", required=True, help=gettext_lazy("計画コード"))
        parser.add_argument("--municipality", help=gettext_lazy("団体コード（同じ計画コードが複数の自治体にあるとき）"))
        parser.add_argument("--dry-run", action="store_true", help=gettext_lazy("プレビューだけ行い、何も書き込まない"))
        parser.add_argument(
            "--create-plan", action="store_true", help=gettext_lazy("計画が無ければ作成する（--title が必要）")
        )
        parser.add_argument("--title", help=gettext_lazy("--create-plan で作る計画の名前"))
        parser.add_argument(
            "--start-fy", type=int, help=gettext_lazy("--create-plan: 計画期間の開始年度（既定: 今年度）")
        )
        parser.add_argument(
            "--end-fy", type=int, help=gettext_lazy("--create-plan: 計画期間の終了年度（既定: 開始年度+4）")
        )
        parser.add_argument("--user", help=gettext_lazy("取込を実行したユーザー名（履歴に記録されます）"))

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("ファイル「%(path)s」がありません。") % {"path": path})
        try:
            check_size(path.stat().st_size)
        except ImportFileError as exc:
            raise CommandError(str(exc))
        data = path.read_bytes()
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("ユーザー「%(user)s」がいません。") % {"user": options["user"]})
        # An existing plan: the ImportRun is recorded even when the import fails. A plan created here
        # (--create-plan) exists only if the import is applied: a failed or dry run leaves nothing behind.
        bars = CommandProgress(self, options)
        try:
            plan = self._existing_plan(options)
            if plan is not None:
                with bars:
                    run, preview = plan_import(
                        plan=plan, data=data, file_name=path.name, user=user, dry_run=options["dry_run"], progress=bars
                    )
            else:
                with transaction.atomic(), bars:
                    plan = self._create_plan(options)
                    run, preview = plan_import(
                        plan=plan, data=data, file_name=path.name, user=user, dry_run=options["dry_run"], progress=bars
                    )
                    if options["dry_run"]:
                        raise _DryRunRollback()
        except _DryRunRollback:
            pass
        except ImportBlocked as blocked:
            self._report(blocked.preview, to=self.stderr)
            for error in blocked.preview.errors:
                self.stderr.write(error.as_text())
            raise CommandError(
                _("エラーが %(count)s 件あるため、何も取り込んでいません。") % {"count": len(blocked.preview.errors)},
                returncode=1,
            )
        self._report(preview, to=self.stdout)
        if options["dry_run"]:
            self.stdout.write(_("--dry-run: 何も書き込んでいません。"))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("取り込みました（インポート #%(id)s、計画「%(plan)s」）。") % {"id": run.pk, "plan": plan.title}
                )
            )

    def _existing_plan(self, options) -> Plan | None:
        plans = Plan.objects.filter(code=options["plan"]).select_related("municipality")
        if options["municipality"]:
            plans = plans.filter(municipality__code=options["municipality"])
        found = list(plans[:2])
        if len(found) > 1:
            raise CommandError(
                _(
                    "計画コード「%(plan)s」の計画が複数の自治体にあります。--municipality で団体コードを指定してください。"
                )
                % {"plan": options["plan"]}
            )
        if found:
            return found[0]
        if not options["create_plan"]:
            raise CommandError(
                _("計画コード「%(plan)s」の計画がありません（作成するには --create-plan --title を付けてください）。")
                % {"plan": options["plan"]}
            )
        if not options["title"]:
            raise CommandError(_("--create-plan には --title（計画名）が必要です。"))
        return None

    def _create_plan(self, options) -> Plan:
        municipalities = Municipality.objects.all()
        if options["municipality"]:
            municipalities = municipalities.filter(code=options["municipality"])
        candidates = list(municipalities[:2])
        if len(candidates) != 1:
            raise CommandError(_("計画を作る自治体を --municipality（団体コード）で指定してください。"))
        start = options["start_fy"] or fiscal_year(timezone.localdate())
        end = options["end_fy"] or start + 4
        if end < start:
            raise CommandError(_("終了年度は開始年度以降にしてください。"))
        plan = Plan(
            municipality=candidates[0],
            code=options["plan"],
            title=options["title"],
            start_fy=start,
            end_fy=end,
            edition=FrameworkEdition.objects.get(is_default=True),
        )
        plan._change_reason = "インポート（計画の新規作成）"  # stored history, not UI text: not translated
        plan.full_clean()
        plan.save()
        return plan

    def _report(self, preview: Preview, *, to) -> None:
        for name, counts in preview.counts.items():
            to.write(
                _("%(sheet)s: 新規 %(new)s / 変更 %(changed)s / 変更なし %(unchanged)s / エラー %(errors)s")
                % {"sheet": name, **counts}
            )
