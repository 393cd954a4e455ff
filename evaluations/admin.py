"""Admin views of the annual evaluation: read-only (the state machine runs through the portal's pages and
evaluations/services.py), scoped to the admin's municipality, with the change history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from plans.admin_scoping import MunicipalityScopedAdmin, MunicipalityScopedInline

from .models import EvaluationIndicator, EvaluationRound, MeasureEvaluation


class _ReadOnly:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EvaluationIndicatorInline(_ReadOnly, MunicipalityScopedInline):
    model = EvaluationIndicator
    extra = 0
    fields = ("indicator", "baseline_value", "target_value", "actual_value")
    readonly_fields = fields


@admin.register(EvaluationRound)
class EvaluationRoundAdmin(_ReadOnly, MunicipalityScopedAdmin, SimpleHistoryAdmin):
    municipality_lookup = "plan__municipality_id"
    list_display = ("plan", "fiscal_year", "state", "approved_at", "published_at")
    list_filter = ("state", "fiscal_year")
    list_select_related = ("plan",)


@admin.register(MeasureEvaluation)
class MeasureEvaluationAdmin(_ReadOnly, MunicipalityScopedAdmin, SimpleHistoryAdmin):
    municipality_lookup = "round__plan__municipality_id"
    list_display = (
        "measure",
        "round",
        "state",
        "self_grade",
        "direction",
        "settled_cost_thousand_yen",
        "hours_saved_per_year",
    )
    list_filter = ("state", "direction", ("round", admin.RelatedOnlyFieldListFilter))
    search_fields = ("measure__code", "measure__title")
    list_select_related = ("measure", "round__plan")
    inlines = [EvaluationIndicatorInline]
