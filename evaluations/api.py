"""The 進捗状況報告書 in the open-data API: read-only, the same rows as the report (per measure, with its KPI
figures). Published rounds only for the public (PUBLIC_DASHBOARD); a signed-in user of the municipality also
reads approved ones. Never carries internal fields: no 差戻しの理由, no names of who submitted or reviewed."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import include, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.routers import SimpleRouter

from plans.models import Plan
from plans.permissions import access_for

from .models import EvaluationIndicator, EvaluationRound, MeasureEvaluation


class KpiFigureSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="indicator.name")
    unit = serializers.CharField(source="indicator.unit")

    class Meta:
        model = EvaluationIndicator
        fields = ["name", "unit", "baseline_value", "target_value", "actual_value"]


class EvaluationReportSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="round.plan_id")
    municipality_code = serializers.CharField(source="round.plan.municipality.code")
    fiscal_year = serializers.IntegerField(source="round.fiscal_year")
    pillar = serializers.CharField(source="measure.pillar.name", default="")
    measure_code = serializers.CharField(source="measure.code")
    measure_title = serializers.CharField(source="measure.title")
    department = serializers.CharField(source="measure.owner_department.name")
    direction_label = serializers.CharField(source="get_direction_display")
    kpis = KpiFigureSerializer(many=True)

    class Meta:
        model = MeasureEvaluation
        fields = [
            "id",
            "plan",
            "municipality_code",
            "fiscal_year",
            "pillar",
            "measure_code",
            "measure_title",
            "department",
            "achievements",
            "kpis",
            "self_grade",
            "outcomes",
            "issues",
            "direction",
            "direction_label",
            "settled_cost_thousand_yen",
            "hours_saved_per_year",
        ]


def visible_report_rounds(request) -> QuerySet:
    rounds = EvaluationRound.objects.all()
    if not request.user.is_authenticated:
        if not settings.PUBLIC_DASHBOARD:
            return rounds.none()
        return rounds.filter(state=EvaluationRound.State.PUBLISHED, plan__status=Plan.Status.APPROVED)
    rounds = rounds.filter(state__in=[EvaluationRound.State.APPROVED, EvaluationRound.State.PUBLISHED])
    access = access_for(request.user)
    return rounds if access.is_superuser else rounds.filter(plan__municipality_id=access.municipality_id)


def _int(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: "整数で指定してください。"})
    if not 0 < value < 2**31:
        raise ValidationError({name: "正の整数で指定してください。"})
    return value


@extend_schema_view(
    list=extend_schema(
        summary="進捗状況報告書（年度評価）",
        parameters=[
            OpenApiParameter("plan", OpenApiTypes.INT, description="計画IDで絞り込み"),
            OpenApiParameter("fiscal_year", OpenApiTypes.INT, description="評価対象年度（西暦）で絞り込み"),
        ],
    )
)
class EvaluationReportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = EvaluationReportSerializer

    def get_queryset(self):
        qs = (
            MeasureEvaluation.objects.filter(round__in=visible_report_rounds(self.request))
            .select_related("round__plan__municipality", "measure__pillar", "measure__owner_department")
            .prefetch_related(Prefetch("kpis", queryset=EvaluationIndicator.objects.select_related("indicator")))
            .order_by("round__plan_id", "-round__fiscal_year", "measure__sort_order", "measure__code", "id")
        )
        if (plan := _int(self.request, "plan")) is not None:
            qs = qs.filter(round__plan_id=plan)
        if (fy := _int(self.request, "fiscal_year")) is not None:
            qs = qs.filter(round__fiscal_year=fy)
        return qs


router = SimpleRouter()
router.register("evaluation-reports", EvaluationReportViewSet, basename="evaluation-report")

app_name = "evaluations_api"
urlpatterns = [path("", include(router.urls))]
