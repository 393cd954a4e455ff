"""The 事務局 keeps the 推進体制 and the meetings' records here; everything is limited to its municipality
(plans.admin_scoping). Decisions that create actions go through the meeting page (the service creates the
milestones); the admin shows them."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from importing.reading import ImportFileError, check_size, max_bytes
from plans import audit
from plans.admin_scoping import MunicipalityScopedAdmin, MunicipalityScopedInline
from plans.permissions import access_for

from .body_import import SHEET, body_import, body_workbook
from .models import Action, AgendaItem, BodyMember, Decision, Meeting, PlanRevision
from .permissions import may_manage


class GovernanceScopedAdmin(MunicipalityScopedAdmin):
    """Change and delete only in one's own municipality (the base checks plans' objects through
    plans.permissions; these objects are checked here)."""

    def _may(self, request, obj) -> bool:
        return may_manage(request.user, self.object_municipality_id(obj))

    def object_municipality_id(self, obj) -> int | None:
        from .permissions import municipality_id_of

        return municipality_id_of(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = admin.ModelAdmin.has_change_permission(self, request, obj)
        return allowed if not allowed or obj is None else self._may(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = admin.ModelAdmin.has_delete_permission(self, request, obj)
        return allowed if not allowed or obj is None else self._may(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        access = access_for(request.user)
        if not access.is_superuser and db_field.name in ("user", "approved_by", "created_by"):
            from django.contrib.auth.models import User

            kwargs["queryset"] = User.objects.filter(membership__municipality_id=access.municipality_id)
        if not access.is_superuser and db_field.name == "meeting":
            kwargs["queryset"] = Meeting.objects.filter(municipality_id=access.municipality_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        access = access_for(request.user)
        if not access.is_superuser and db_field.name == "attendees":
            kwargs["queryset"] = BodyMember.objects.filter(municipality_id=access.municipality_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(BodyMember)
class BodyMemberAdmin(GovernanceScopedAdmin):
    list_display = ("role", "position", "display_name", "department", "is_external", "name_is_public", "sort_order")
    list_filter = ("role", "is_external")
    search_fields = ("name", "position", "user__username")
    list_select_related = ("department", "user__membership")
    change_list_template = "admin/governance/bodymember/change_list.html"

    def save_model(self, request, obj, form, change):
        if not change and not access_for(request.user).is_superuser:
            obj.municipality_id = access_for(request.user).municipality_id
        super().save_model(request, obj, form, change)

    def get_urls(self):
        urls = [
            path("sheet/import/", self.admin_site.admin_view(self.import_sheet), name="governance_bodymember_import"),
            path("sheet/export/", self.admin_site.admin_view(self.export_sheet), name="governance_bodymember_export"),
        ]
        return urls + super().get_urls()

    def _municipality_id(self, request) -> int:
        access = access_for(request.user)
        if access.municipality_id is None or not may_manage(request.user, access.municipality_id):
            raise PermissionDenied
        return access.municipality_id

    def import_sheet(self, request):
        """Upload a 「推進体制」 sheet (.xlsx, or CSV): every row is checked first; all rows or none are written."""
        municipality_id = self._municipality_id(request)
        form = BodySheetForm(request.POST or None, request.FILES or None)
        result, error = None, None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                check_size(upload.size)
                result = body_import(
                    user=request.user,
                    municipality_id=municipality_id,
                    data=upload.read(max_bytes() + 1),
                    file_name=upload.name,
                )
            except (ValidationError, ImportFileError) as exc:
                error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return TemplateResponse(
            request,
            "admin/governance/bodymember/import.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "form": form,
                "result": result,
                "error": error,
                "title": _("推進体制をExcelから取り込む"),
                "sheet": SHEET,
            },
        )

    def export_sheet(self, request):
        municipality_id = self._municipality_id(request)
        audit.record(
            request=request, action="export", target="推進体制 (xlsx)", format="xlsx", municipality_id=municipality_id
        )
        response = HttpResponse(
            body_workbook(municipality_id=municipality_id),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = "attachment; filename*=UTF-8''%E6%8E%A8%E9%80%B2%E4%BD%93%E5%88%B6.xlsx"
        return response


class BodySheetForm(forms.Form):
    file = forms.FileField(label=_("ファイル（.xlsx または .csv）"))


class AgendaItemInline(MunicipalityScopedInline):
    model = AgendaItem
    extra = 0
    fields = ("order", "source", "title", "facts", "note")
    readonly_fields = ("source", "facts")


class DecisionInline(MunicipalityScopedInline):
    model = Decision
    extra = 0
    fields = ("agenda_item", "text", "is_public")
    readonly_fields = ("agenda_item",)
    show_change_link = True


@admin.register(Meeting)
class MeetingAdmin(GovernanceScopedAdmin):
    list_display = ("held_on", "kind", "number", "plan", "place")
    list_filter = ("kind",)
    date_hierarchy = "held_on"
    list_select_related = ("plan",)
    filter_horizontal = ("attendees",)
    inlines = [AgendaItemInline, DecisionInline]
    exclude = ("created_by",)


@admin.register(Decision)
class DecisionAdmin(GovernanceScopedAdmin):
    municipality_lookup = "meeting__municipality_id"
    list_display = ("text", "meeting", "is_public", "created_at")
    list_select_related = ("meeting",)
    fields = ("meeting", "agenda_item", "text", "is_public")
    readonly_fields = ("meeting", "agenda_item")

    def has_add_permission(self, request) -> bool:
        return False  # from the meeting page: the service creates the actions' milestones


@admin.register(Action)
class ActionAdmin(GovernanceScopedAdmin):
    municipality_lookup = "decision__meeting__municipality_id"
    list_display = ("milestone", "decision")
    list_select_related = ("milestone", "decision__meeting")
    readonly_fields = ("decision", "milestone")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PlanRevision)
class PlanRevisionAdmin(GovernanceScopedAdmin):
    list_display = ("old_plan", "new_plan", "status", "created_at", "approved_at")
    list_filter = ("status",)
    list_select_related = ("old_plan", "new_plan")
    readonly_fields = (
        "municipality",
        "old_plan",
        "new_plan",
        "status",
        "created_by",
        "created_at",
        "approved_by",
        "approved_at",
    )
    fields = readonly_fields[:4] + ("reason", "meeting") + readonly_fields[4:]

    def has_add_permission(self, request) -> bool:
        return False  # started from the revision page (the service copies the plan)

    def get_queryset(self, request):
        return super().get_queryset(request)


PlanRevisionAdmin.verbose_name = _("計画の改定")
