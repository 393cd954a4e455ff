"""The per-measure progress roll-up used by the national comparison, filled from existing data."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    from measures.rollup import rebuild_sql

    with schema_editor.connection.cursor() as cursor:
        for sql, params in rebuild_sql(plan_ids=None):
            cursor.execute(sql, params)


class Migration(migrations.Migration):
    # Named 0003_issue5_progress_rollup until it was renamed for what it does; a database that applied it under
    # the old name counts this one as applied.
    replaces = [("measures", "0003_issue5_progress_rollup")]


    dependencies = [
        ("measures", "0001_initial"),
        ("milestones", "0001_initial"),
        ("plans", "0002_national_framework"),
    ]

    operations = [
        migrations.CreateModel(
            name="MeasureRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("ms_total", models.PositiveIntegerField(default=0, verbose_name="マイルストーン数（中止を除く）")),
                ("ms_done", models.PositiveIntegerField(default=0, verbose_name="完了したマイルストーン数")),
                ("ms_started", models.PositiveIntegerField(default=0, verbose_name="着手したマイルストーン数")),
                ("first_open_due", models.DateField(blank=True, null=True, verbose_name="未完了で最も早い期限")),
                ("latest_percent", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="最新の進捗率")),
                ("latest_status", models.CharField(blank=True, max_length=16, verbose_name="最新の状況")),
                ("measure", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="rollups",
                                              to="measures.measure", verbose_name="施策")),
                ("item", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                           related_name="+", to="plans.nationalitem", verbose_name="国の取組事項")),
                ("plan", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                           to="plans.plan", verbose_name="計画")),
            ],
            options={"verbose_name": "施策の進捗集計", "verbose_name_plural": "施策の進捗集計",
                     "constraints": [models.UniqueConstraint(fields=("measure", "item"),
                                                             name="rollup_one_row_per_measure_item")]},
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
