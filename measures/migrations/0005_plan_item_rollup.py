"""The per-(plan, national item) sums read by the national comparison, built from the existing roll-up; and the
index that counts a pair's late measures for a day outside the stored window."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    from django.utils import timezone

    from measures.rollup import plan_item_sql

    with schema_editor.connection.cursor() as cursor:
        for sql, params in plan_item_sql(plan_ids=None, today=timezone.localdate()):
            cursor.execute(sql, params)


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0004_measure_value_attributes"),
        ("plans", "0003_audit_records_data_changes"),
    ]

    operations = [
        migrations.CreateModel(
            name="PlanItemRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("num_hundredths", models.BigIntegerField(default=0, verbose_name="進捗の分子（×100）")),
                ("den", models.PositiveIntegerField(default=0, verbose_name="進捗の分母")),
                ("measures", models.PositiveIntegerField(default=0, verbose_name="施策数")),
                ("late", models.PositiveIntegerField(default=0, verbose_name="遅延の施策数")),
                (
                    "late_after",
                    models.DateField(blank=True, null=True, verbose_name="遅延数が有効な期間の開始（この日の翌日から）"),
                ),
                (
                    "late_until",
                    models.DateField(blank=True, null=True, verbose_name="遅延数が有効な期間の終了（この日まで）"),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="plans.plan",
                        verbose_name="計画",
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="plans.nationalitem",
                        verbose_name="国の取組事項",
                    ),
                ),
            ],
            options={
                "verbose_name": "計画×国の取組事項の進捗集計",
                "verbose_name_plural": "計画×国の取組事項の進捗集計",
                "constraints": [
                    models.UniqueConstraint(fields=("plan", "item"), name="planitemrollup_one_row_per_plan_item")
                ],
            },
        ),
        migrations.AddIndex(
            model_name="measurerollup",
            index=models.Index(fields=["plan", "item", "first_open_due"], name="rollup_plan_item_due_idx"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
