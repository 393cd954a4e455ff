import json

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .admin_scoping import SHARED, MunicipalityScopedAdmin, MunicipalityScopedInline
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

    def has_add_permission(self, request):
        return access_for(request.user).is_superuser  # a city's admin edits its own city, never adds one

    def has_delete_permission(self, request, obj=None):
        return access_for(request.user).is_superuser


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


class NationalItemInline(MunicipalityScopedInline):
    model = NationalItem
    extra = 0
    shared = True


# The national framework is shared by every municipality: a city's admin reads it, only a superuser changes it.
@admin.register(FrameworkEdition)
class FrameworkEditionAdmin(MunicipalityScopedAdmin):
    municipality_lookup = SHARED
    list_display = ("name", "code", "published_on", "is_default")
    inlines = [NationalItemInline]


@admin.register(NationalItem)
class NationalItemAdmin(MunicipalityScopedAdmin):
    municipality_lookup = SHARED
    list_display = ("number", "name", "group", "edition", "national_deadline")
    list_filter = ("edition", "group")
    search_fields = ("name", "short_name")


@admin.register(ItemCrosswalk)
class ItemCrosswalkAdmin(MunicipalityScopedAdmin):
    municipality_lookup = SHARED
    list_display = ("from_item", "to_item", "note")
    list_filter = ("from_item__edition", "to_item__edition")
    list_select_related = ("from_item", "to_item")


class PillarInline(MunicipalityScopedInline):
    model = Pillar
    extra = 0
    fields = ("code", "name", "parent", "sort_order")


@admin.register(Plan)
class PlanAdmin(MunicipalityScopedAdmin, SimpleHistoryAdmin):
    list_display = ("title", "code", "municipality", "period", "status", "edition", "version")
    list_filter = ("status", "edition", ("municipality", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "code", "vision")
    list_select_related = ("municipality", "edition")
    inlines = [PillarInline]

    @admin.display(description=_("計画期間"))
    def period(self, obj: Plan) -> str:
        return obj.period_label


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
    superuser_only_fields = ("compare_scope",)  # comparing other municipalities is granted nationally

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        access = access_for(request.user)
        if db_field.name == "user" and not access.is_superuser:
            # Own people, or someone who belongs to no municipality yet (a new account to take in).
            kwargs["queryset"] = get_user_model().objects.filter(
                Q(membership__municipality_id=access.municipality_id) | Q(membership__isnull=True, is_superuser=False)
            )
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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
        return " / ".join(
            f"{sheet}: +{c.get('new', 0)} ~{c.get('changed', 0)} ={c.get('unchanged', 0)}"
            + (f" !{c['errors']}" if c.get("errors") else "")
            for sheet, c in (obj.counts or {}).items()
        )


@admin.register(AuditEvent)
class AuditEventAdmin(MunicipalityScopedAdmin):
    list_display = ("at_local", "action", "username", "target", "ip_address")
    list_filter = ("action",)
    search_fields = ("username", "target")
    fields = ("at_local", "action", "user", "username", "target", "ip_address", "detail_text")
    readonly_fields = fields

    @admin.display(description=_("日時（日本時間）"), ordering="at")
    def at_local(self, obj: AuditEvent) -> str:
        # The same clock on the list and the detail page: Asia/Tokyo, written out.
        return f"{timezone.localtime(obj.at):%Y/%m/%d %H:%M:%S} JST"

    @admin.display(description=_("詳細"))
    def detail_text(self, obj: AuditEvent) -> str:
        return format_html(
            '<pre style="white-space: pre-wrap">{}</pre>', json.dumps(obj.detail, ensure_ascii=False, indent=2)
        )

    def scope(self, qs, access):
        # A city's admin sees the events of its own people (failed logins: by the name tried), not other cities'.
        if access.is_superuser:
            return qs
        if access.municipality_id is None:
            return qs.none()
        members = Membership.objects.filter(municipality_id=access.municipality_id)
        return qs.filter(
            Q(user__membership__municipality_id=access.municipality_id)
            | Q(user__isnull=True, username__in=members.values("user__username"))
        )

    # Append-only from the UI.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
