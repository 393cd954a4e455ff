from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .admin_scoping import MunicipalityScopedAdmin
from .models import (
    AuditEvent,
    Department,
    FrameworkEdition,
    ImportRun,
    ItemCrosswalk,
    Membership,
    Municipality,
    NationalItem,
    Pillar,
    Plan,
)
from .permissions import access_for


@admin.register(Municipality)
class MunicipalityAdmin(MunicipalityScopedAdmin):
    municipality_lookup = "pk"
    list_display = ("code", "name", "prefecture")
    search_fields = ("code", "name", "name_kana")


@admin.register(Department)
class DepartmentAdmin(MunicipalityScopedAdmin):
    list_display = ("code", "name", "level", "parent", "email", "municipality")
    list_filter = ("level", ("municipality", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "email")
    list_select_related = ("parent", "municipality")
    readonly_fields = ("calendar_token",)
    actions = ["issue_calendar_token", "revoke_calendar_token"]

    @admin.action(description=_("カレンダー配信URLを発行・再発行する（旧URLは無効）"), permissions=["change"])
    def issue_calendar_token(self, request, queryset):
        for department in queryset:
            department.rotate_calendar_token()
        self.message_user(request, _("%(count)s部署のカレンダー配信URLを発行しました。") % {"count": queryset.count()})

    @admin.action(description=_("カレンダー配信URLを無効にする"), permissions=["change"])
    def revoke_calendar_token(self, request, queryset):
        count = queryset.update(calendar_token="")
        self.message_user(request, _("%(count)s部署のカレンダー配信URLを無効にしました。") % {"count": count})


class NationalItemInline(admin.TabularInline):
    model = NationalItem
    extra = 0


@admin.register(FrameworkEdition)
class FrameworkEditionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "published_on", "is_default")
    inlines = [NationalItemInline]


@admin.register(NationalItem)
class NationalItemAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "group", "edition", "national_deadline")
    list_filter = ("edition", "group")
    search_fields = ("name", "short_name")


@admin.register(ItemCrosswalk)
class ItemCrosswalkAdmin(admin.ModelAdmin):
    list_display = ("from_item", "to_item", "note")
    list_filter = ("from_item__edition", "to_item__edition")
    list_select_related = ("from_item", "to_item")


class PillarInline(admin.TabularInline):
    model = Pillar
    extra = 0
    fields = ("code", "name", "parent", "sort_order")


@admin.register(Plan)
class PlanAdmin(MunicipalityScopedAdmin, SimpleHistoryAdmin):
    list_display = ("title", "code", "municipality", "period_label", "status", "edition", "version")
    list_filter = ("status", "edition", ("municipality", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "code", "vision")
    list_select_related = ("municipality", "edition")
    inlines = [PillarInline]


@admin.register(Pillar)
class PillarAdmin(MunicipalityScopedAdmin):
    municipality_lookup = "plan__municipality_id"
    list_display = ("code", "name", "plan", "parent")
    list_filter = (("plan", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("code", "name")


@admin.register(Membership)
class MembershipAdmin(MunicipalityScopedAdmin):
    list_display = ("user", "display_name", "municipality", "receives_reminders", "compare_scope")
    list_filter = (("municipality", admin.RelatedOnlyFieldListFilter), "receives_reminders", "user__groups")
    search_fields = ("user__username", "display_name", "user__email")
    filter_horizontal = ("departments",)


@admin.register(ImportRun)
class ImportRunAdmin(MunicipalityScopedAdmin):
    municipality_lookup = "plan__municipality_id"
    list_display = ("created_at", "plan", "file_name", "status", "user", "counts_summary")
    list_filter = ("status", ("plan", admin.RelatedOnlyFieldListFilter))
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a record of what happened, not something to edit

    @admin.display(description=_("件数"))
    def counts_summary(self, obj: ImportRun) -> str:
        return " / ".join(f"{sheet}: +{c.get('new', 0)} ~{c.get('changed', 0)} ={c.get('unchanged', 0)}"
                          + (f" !{c['errors']}" if c.get("errors") else "")
                          for sheet, c in (obj.counts or {}).items())


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "username", "target", "ip_address")
    list_filter = ("action",)
    search_fields = ("username", "target")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def get_queryset(self, request):
        # A city's admin sees the events of its own people (failed logins: by the name tried), not other cities'.
        qs = super().get_queryset(request)
        access = access_for(request.user)
        if access.is_superuser:
            return qs
        members = Membership.objects.filter(municipality_id=access.municipality_id)
        return qs.filter(Q(user__membership__municipality_id=access.municipality_id)
                         | Q(user__isnull=True, username__in=members.values("user__username")))

    # Append-only from the UI.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
