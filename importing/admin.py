"""Excel in the Django admin: the plan's import / template / export pages and the per-sheet export buttons.

The admins themselves belong to plans, measures and milestones; this app extends them (it sits above them)."""

from __future__ import annotations

from functools import partial

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from measures.models import Indicator, Measure
from milestones.models import Milestone
from plans.admin_scoping import extend_registered_admin
from plans.models import Department, Plan

from . import admin_views as excel
from .resources import DepartmentResource, IndicatorResource, MeasureResource, MilestoneResource

# Each sheet of the plan workbook can also be exported on its own from its model's list.
for model, resource in ((Department, DepartmentResource), (Measure, MeasureResource),
                        (Indicator, IndicatorResource), (Milestone, MilestoneResource)):
    extend_registered_admin(model, ExportMixin, resource_classes=[resource])


class PlanExcelMixin:
    """取込 / テンプレート / エクスポート on the plan list and the plan's change page."""

    change_form_template = "admin/plans/plan/change_form_with_excel.html"

    def get_list_display(self, request):
        return (*super().get_list_display(request), "excel_links")

    @admin.display(description=_("Excel"))
    def excel_links(self, obj: Plan) -> str:
        base = f"{self.admin_site.name}:plans_plan"
        return format_html('<a href="{}">{}</a> / <a href="{}">{}</a> / <a href="{}">{}</a>',
                           reverse(f"{base}_import", args=[obj.pk]), _("取込"),
                           reverse(f"{base}_template", args=[obj.pk]), _("テンプレート"),
                           reverse(f"{base}_export", args=[obj.pk]), _("エクスポート"))

    def get_urls(self):
        def view(func):
            return self.admin_site.admin_view(partial(func, self.admin_site))

        return [
            path("<int:plan_id>/import/", view(excel.import_upload), name="plans_plan_import"),
            path("<int:plan_id>/import/<int:run_id>/preview/", view(excel.import_preview),
                 name="plans_plan_import_preview"),
            path("<int:plan_id>/import/<int:run_id>/confirm/", view(excel.import_confirm),
                 name="plans_plan_import_confirm"),
            path("<int:plan_id>/template.xlsx", view(excel.template_download), name="plans_plan_template"),
            path("<int:plan_id>/export.xlsx", view(excel.export_download), name="plans_plan_export"),
        ] + super().get_urls()


extend_registered_admin(Plan, PlanExcelMixin)
