"""Open-data shapes. No people: no authors, recorders, updaters, e-mail addresses or comments."""

import datetime as dt

from rest_framework import serializers

from measures.models import IndicatorValue, Measure
from milestones.models import Milestone
from plans.models import Plan


class PlanSerializer(serializers.ModelSerializer):
    municipality_code = serializers.CharField(source="municipality.code")
    municipality_name = serializers.CharField(source="municipality.name")
    edition = serializers.CharField(source="edition.name")

    class Meta:
        model = Plan
        fields = [
            "id",
            "municipality_code",
            "municipality_name",
            "code",
            "title",
            "vision",
            "start_fy",
            "end_fy",
            "status",
            "version",
            "edition",
        ]


class MeasureSerializer(serializers.ModelSerializer):
    owner_department = serializers.CharField(source="owner_department.name")
    pillar = serializers.CharField(source="pillar.name", allow_null=True, default=None)
    national_items = serializers.SerializerMethodField()

    class Meta:
        model = Measure
        fields = [
            "id",
            "plan",
            "code",
            "title",
            "summary",
            "current_issues",
            "owner_department",
            "pillar",
            "national_items",
            "start_fy",
            "end_fy",
            "budget_thousand_yen",
        ]

    def get_national_items(self, obj) -> list[int]:
        return sorted(i.number for i in obj.national_items.all())


class MilestoneSerializer(serializers.ModelSerializer):
    measure_code = serializers.CharField(source="measure.code")
    owner_department = serializers.CharField(source="owner_department.name")
    baseline_due_date = serializers.SerializerMethodField(help_text="当初期限（最初に登録・取込したときの期限）")
    due_date_slip_days = serializers.SerializerMethodField(help_text="当初期限から現在の期限までの日数（正: 延長）")
    due_date_changes = serializers.SerializerMethodField(help_text="承認された期限変更の回数")

    class Meta:
        model = Milestone
        fields = [
            "id",
            "plan",
            "measure",
            "measure_code",
            "code",
            "title",
            "kind",
            "baseline_due_date",
            "due_date",
            "due_date_slip_days",
            "due_date_changes",
            "owner_department",
            "status",
            "completed_on",
        ]

    def get_baseline_due_date(self, obj) -> dt.date:
        return obj.baseline_due_date or obj.due_date

    def get_due_date_slip_days(self, obj) -> int:
        return obj.slip_days

    def get_due_date_changes(self, obj) -> int:
        return len(obj.approved_changes)  # prefetched by milestones.selectors.with_slippage


class IndicatorValueSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="indicator.plan_id")
    measure = serializers.IntegerField(source="indicator.measure_id")
    indicator_code = serializers.CharField(source="indicator.code")
    indicator_name = serializers.CharField(source="indicator.name")
    unit = serializers.CharField(source="indicator.unit")
    direction = serializers.CharField(source="indicator.direction")
    baseline_value = serializers.DecimalField(
        source="indicator.baseline_value", max_digits=18, decimal_places=4, allow_null=True
    )
    target_value = serializers.DecimalField(
        source="indicator.target_value", max_digits=18, decimal_places=4, allow_null=True
    )
    target_fy = serializers.IntegerField(source="indicator.target_fy", allow_null=True)

    class Meta:
        model = IndicatorValue
        fields = [
            "id",
            "plan",
            "measure",
            "indicator",
            "indicator_code",
            "indicator_name",
            "unit",
            "direction",
            "baseline_value",
            "target_value",
            "target_fy",
            "value",
            "as_of",
            "source",
            "is_current",
        ]


class ItemProgressSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    group = serializers.CharField()
    measures = serializers.IntegerField()
    progress_percent = serializers.IntegerField(allow_null=True, help_text="施策なしの場合は null")
    health = serializers.CharField(allow_null=True, help_text="done / ontrack / warn / late / notstarted")
    health_label = serializers.CharField()
    milestones_done = serializers.IntegerField()
    milestones_total = serializers.IntegerField()
    milestones_overdue = serializers.IntegerField()
