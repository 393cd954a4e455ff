from django.contrib import admin
from import_export.admin import ExportMixin
from simple_history.admin import SimpleHistoryAdmin

from plans.admin_scoping import MunicipalityScopedAdmin
from plans.importing.resources import MilestoneResource

from .models import Milestone, ReminderLog


@admin.register(Milestone)
class MilestoneAdmin(ExportMixin, MunicipalityScopedAdmin, SimpleHistoryAdmin):
    resource_classes = [MilestoneResource]  # the マイルストーン sheet of the plan workbook (issue 3)
    municipality_lookup = "plan__municipality_id"
    list_display = ("code", "title", "measure", "kind", "due_date", "owner_department", "status", "completed_on")
    list_filter = ("status", "kind", ("plan", admin.RelatedOnlyFieldListFilter),
                   ("owner_department", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "title", "measure__code", "measure__title")
    list_select_related = ("measure", "owner_department")
    date_hierarchy = "due_date"
    autocomplete_fields = ("measure",)


@admin.register(ReminderLog)
class ReminderLogAdmin(MunicipalityScopedAdmin):
    municipality_lookup = "department__municipality_id"
    list_display = ("claimed_at", "stage", "milestone", "measure", "department", "state", "attempts", "sent_at")
    list_filter = ("state", "stage", "escalated")
    search_fields = ("milestone__code", "milestone__title", "department__name")
    list_select_related = ("milestone", "measure", "department")
    readonly_fields = [f.name for f in ReminderLog._meta.fields]

    def has_add_permission(self, request):
        return False
