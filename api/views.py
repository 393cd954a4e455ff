"""Open-data API (docs/dashboards-and-open-data.md): read-only JSON and CSV, the same visibility as the dashboard pages."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from dashboard.selectors import Filters, plan_overview
from measures.models import IndicatorValue, Measure
from milestones.models import Milestone
from milestones.selectors import with_slippage
from plans.selectors import visible_plans as plans_visible_to

from . import serializers as s

ID_REGEX = r"[0-9]{1,9}"  # ids beyond a 32-bit integer cannot exist: 404, not a database overflow
PLAN_PARAM = OpenApiParameter("plan", OpenApiTypes.INT, description="計画IDで絞り込み")


def visible_plans(request) -> QuerySet:
    return plans_visible_to(request.user)


def _int_param(request, name: str) -> int | None:
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


class _PlanScoped(viewsets.ReadOnlyModelViewSet):
    plan_path = "plan"
    lookup_value_regex = ID_REGEX

    def scoped(self, qs: QuerySet) -> QuerySet:
        qs = qs.filter(**{f"{self.plan_path}__in": visible_plans(self.request)})
        plan = _int_param(self.request, "plan")
        if plan is not None:
            qs = qs.filter(**{f"{self.plan_path}_id": plan})
        return qs


@extend_schema_view(list=extend_schema(summary="計画の一覧"), retrieve=extend_schema(summary="計画"))
class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.PlanSerializer
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return (
            visible_plans(self.request).select_related("municipality", "edition").order_by("municipality__code", "id")
        )

    @extend_schema(summary="国の取組事項ごとの進捗", responses=s.ItemProgressSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def progress(self, request, pk=None):
        plan = self.get_object()
        data = plan_overview(plan=plan, filters=Filters(), today=timezone.localdate())
        rows = [
            {
                "number": r.number,
                "name": r.label,
                "group": r.group,
                "measures": r.measures,
                "progress_percent": r.percent,
                "health": r.health,
                "health_label": r.health_label,
                "milestones_done": r.ms_done,
                "milestones_total": r.ms_total,
                "milestones_overdue": r.ms_overdue,
            }
            for r in data.items
        ]
        return Response(s.ItemProgressSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="施策の一覧",
        parameters=[PLAN_PARAM, OpenApiParameter("item", OpenApiTypes.INT, description="国の取組事項の番号")],
    ),
    retrieve=extend_schema(summary="施策"),
)
class MeasureViewSet(_PlanScoped):
    serializer_class = s.MeasureSerializer

    def get_queryset(self):
        qs = self.scoped(
            Measure.objects.select_related("owner_department", "pillar")
            .prefetch_related("national_items")
            .order_by("plan_id", "sort_order", "code", "id")
        )
        item = _int_param(self.request, "item")
        if item is not None:
            qs = qs.filter(national_items__number=item, national_items__edition_id=self._edition_filter())
        return qs

    def _edition_filter(self):
        from plans.models import FrameworkEdition

        return FrameworkEdition.objects.filter(is_default=True).values("id")[:1]


@extend_schema_view(
    list=extend_schema(summary="マイルストーンの一覧", parameters=[PLAN_PARAM]),
    retrieve=extend_schema(summary="マイルストーン"),
)
class MilestoneViewSet(_PlanScoped):
    serializer_class = s.MilestoneSerializer

    def get_queryset(self):
        return self.scoped(
            with_slippage(Milestone.objects.select_related("measure", "owner_department")).order_by(
                "plan_id", "due_date", "code", "id"
            )
        )


@extend_schema_view(
    list=extend_schema(summary="指標（KPI）の実績値の一覧", parameters=[PLAN_PARAM]),
    retrieve=extend_schema(summary="指標の実績値"),
)
class IndicatorValueViewSet(_PlanScoped):
    serializer_class = s.IndicatorValueSerializer
    plan_path = "indicator__plan"

    def get_queryset(self):
        return self.scoped(
            IndicatorValue.objects.select_related("indicator").order_by("indicator_id", "as_of", "recorded_at", "id")
        )


@require_GET
def docs(request):
    """Human-readable API documentation generated from the OpenAPI schema (no CDN, no inline script)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            operations.append(
                {
                    "path": path,
                    "method": method.upper(),
                    "summary": op.get("summary", ""),
                    "parameters": op.get("parameters", []),
                }
            )
    return render(request, "api/docs.html", {"schema": schema, "operations": operations})
