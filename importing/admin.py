"""Excel in the Django admin: the plan's import / template / export pages and the per-sheet export buttons.

The admins themselves belong to plans, measures and milestones; this app extends them (it sits above them)."""

from __future__ import annotations

from functools import partial

import tablib
from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from core.formulas import safe_cell
from measures.models import Indicator, Measure
from milestones.models import Milestone
from plans import audit
from plans.admin_scoping import extend_registered_admin
from plans.models import Department, Plan

from . import admin_views as excel
from .resources import DepartmentResource, IndicatorResource, MeasureResource, MilestoneResource


class SafeExportMixin(ExportMixin):
    """django-import-export's export buttons, made safe: the rows come from the admin's scoped changelist
    (`get_export_queryset` builds on `get_queryset`), every text cell goes through the project's one formula
    neutraliser (core.formulas; the library's IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops one leading "=",
    so "==HYPERLINK(…)" and "+ - @" cells survived), and every file handed out is in the audit log."""

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_data_for_export(self, request, queryset, **kwargs):
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        neutralised = tablib.Dataset(headers=[safe_cell(h) for h in dataset.headers or []])
        for row in dataset:
            neutralised.append([safe_cell(cell) for cell in row])
        return neutralised

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        audit.record(
            request=request,
            action="export",
            target=f"{self.opts.verbose_name} ({file_format.get_title()})",
            model=self.opts.label_lower,
            format=file_format.get_title(),
            rows=queryset.count(),
        )
        return data


# Each sheet of the plan workbook can also be exported on its own from its model's list.
for model, resource in (
    (Department, DepartmentResource),
    (Measure, MeasureResource),
    (Indicator, IndicatorResource),
    (Milestone, MilestoneResource),
):
    extend_registered_admin(model, SafeExportMixin, resource_classes=[resource])


class PlanExcelMixin:
    """取込 / テンプレート / エクスポート on the plan list and the plan's change page."""

    change_form_template = "admin/plans/plan/change_form_with_excel.html"

    def get_list_display(self, request):
        return (*super().get_list_display(request), "excel_links")

    @admin.display(description=_("Excel"))
    def excel_links(self, obj: Plan) -> str:
        base = f"{self.admin_site.name}:plans_plan"
        return format_html(
            '<a href="{}">{}</a> / <a href="{}">{}</a> / <a href="{}">{}</a>',
            reverse(f"{base}_import", args=[obj.pk]),
            _("取込"),
            reverse(f"{base}_template", args=[obj.pk]),
            _("テンプレート"),
            reverse(f"{base}_export", args=[obj.pk]),
            _("エクスポート"),
        )

    def get_urls(self):
        def view(func):
            return self.admin_site.admin_view(partial(func, self.admin_site))

        return [
            path("<int:plan_id>/import/", view(excel.import_upload), name="plans_plan_import"),
            path(
                "<int:plan_id>/import/<int:run_id>/preview/",
                view(excel.import_preview),
                name="plans_plan_import_preview",
            ),
            path(
                "<int:plan_id>/import/<int:run_id>/confirm/",
                view(excel.import_confirm),
                name="plans_plan_import_confirm",
            ),
            path("<int:plan_id>/import/<int:run_id>/", view(excel.import_result), name="plans_plan_import_result"),
            path("<int:plan_id>/template.xlsx", view(excel.template_download), name="plans_plan_template"),
            path("<int:plan_id>/export.xlsx", view(excel.export_download), name="plans_plan_export"),
        ] + super().get_urls()


extend_registered_admin(Plan, PlanExcelMixin)
