from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from plans.admin_scoping import MunicipalityScopedAdmin, MunicipalityScopedInline

from .models import Indicator, IndicatorValue, Measure, ProgressUpdate


class IndicatorInline(MunicipalityScopedInline):
    model = Indicator
    extra = 0
    fields = ("code", "name", "unit", "direction", "baseline_value", "target_value", "target_fy")
    show_change_link = True


@admin.register(Measure)
class MeasureAdmin(MunicipalityScopedAdmin, SimpleHistoryAdmin):
    municipality_lookup = "plan__municipality_id"
    list_display = ("code", "title", "plan", "owner_department", "pillar", "start_fy", "end_fy")
    list_filter = (
        ("plan", admin.RelatedOnlyFieldListFilter),
        "national_items",
        ("owner_department", admin.RelatedOnlyFieldListFilter),
        ("pillar", admin.RelatedOnlyFieldListFilter),
        "change_level",
        "channel",
        "audience",
        "is_gx",
        "is_wellbeing",
    )
    search_fields = ("code", "title", "summary")
    list_select_related = ("plan", "owner_department", "pillar")
    filter_horizontal = ("national_items",)
    inlines = [IndicatorInline]  # milestones/admin.py adds the milestones


@admin.register(Indicator)
class IndicatorAdmin(MunicipalityScopedAdmin, SimpleHistoryAdmin):
    municipality_lookup = "plan__municipality_id"
    list_display = ("code", "name", "measure", "unit", "direction", "baseline_value", "target_value", "target_fy")
    list_filter = (("plan", admin.RelatedOnlyFieldListFilter), "direction", "accumulation")
    search_fields = ("code", "name", "measure__title")
    list_select_related = ("measure",)


@admin.register(IndicatorValue)
class IndicatorValueAdmin(MunicipalityScopedAdmin, SimpleHistoryAdmin):
    municipality_lookup = "indicator__plan__municipality_id"
    list_display = ("indicator", "as_of", "value", "is_current", "recorded_by", "recorded_at")
    list_filter = ("is_current", ("indicator__plan", admin.RelatedOnlyFieldListFilter))
    search_fields = ("indicator__name", "indicator__code")
    list_select_related = ("indicator", "recorded_by")


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(MunicipalityScopedAdmin):
    municipality_lookup = "measure__plan__municipality_id"
    list_display = ("created_at", "measure", "status", "percent_done", "author", "is_internal")
    list_filter = ("status", "is_internal", ("measure__plan", admin.RelatedOnlyFieldListFilter))
    search_fields = ("measure__code", "measure__title", "comment")
    list_select_related = ("measure", "author")

    # Append-only: once written, a progress update is read-only.
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ProgressUpdate._meta.fields] if obj else ()

    def has_delete_permission(self, request, obj=None):
        return False
