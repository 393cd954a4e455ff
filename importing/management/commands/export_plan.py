"""python manage.py export_plan PLAN_CODE OUT.xlsx"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.cli import CommandProgress
from importing.services import plan_export, plan_template
from plans import audit
from plans.models import Plan


class Command(BaseCommand):
    help = gettext_lazy("計画を取込用と同じ形式の Excel ブックに書き出します（--template で空のテンプレート）。")

    def add_arguments(self, parser):
        parser.add_argument("plan", help=gettext_lazy("計画コード"))
        parser.add_argument("out", help=gettext_lazy("書き出すファイル（.xlsx）"))
        parser.add_argument("--municipality", help=gettext_lazy("団体コード（同じ計画コードが複数の自治体にあるとき）"))
        parser.add_argument(
            "--template", action="store_true", help=gettext_lazy("データを含まないテンプレートを書き出す")
        )

    def handle(self, *args, plan: str, out: str, municipality: str | None = None, template: bool = False, **options):
        plans = Plan.objects.filter(code=plan).select_related("municipality")
        if municipality:
            plans = plans.filter(municipality__code=municipality)
        found = list(plans[:2])
        if not found:
            raise CommandError(_("計画コード「%(plan)s」の計画がありません。") % {"plan": plan})
        if len(found) > 1:
            raise CommandError(
                _("計画コード「%(plan)s」の計画が複数の自治体にあります。--municipality で指定してください。")
                % {"plan": plan}
            )
        with CommandProgress(self, options) as bars:
            bars(stage="build")
            data = plan_template(plan=found[0]) if template else plan_export(plan=found[0])
        try:
            Path(out).write_bytes(data)
        except OSError as exc:
            raise CommandError(_("「%(path)s」に書き込めません（%(error)s）。") % {"path": out, "error": exc.strerror})
        # Like every download from the web pages, a file written from the command line is in the audit log.
        audit.record(
            action="export",
            username="manage.py export_plan",
            target=f"{found[0]} (Excel{' template' if template else ''})",
            plan=found[0].code,
            format="xlsx",
            template=template,
            file=str(out),
        )
        self.stdout.write(
            self.style.SUCCESS(
                _("%(path)s に書き出しました（%(size)s バイト）。") % {"path": out, "size": f"{len(data):,}"}
            )
        )
