from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from plans.admin_scoping import MunicipalityScopedAdmin

from .models import Commitment, CouncilSession


@admin.register(CouncilSession)
class CouncilSessionAdmin(MunicipalityScopedAdmin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "starts_on", "ends_on", "municipality")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "starts_on"


@admin.register(Commitment)
class CommitmentAdmin(MunicipalityScopedAdmin, SimpleHistoryAdmin):
    list_display = ("session", "questioner", "answering_official", "subject", "deadline", "owner_department", "status")
    list_filter = ("status", "session")
    search_fields = ("questioner", "answering_official", "subject", "words")
    autocomplete_fields = ()
    filter_horizontal = ("measures",)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        from plans.permissions import access_for

        access = access_for(request.user)
        if db_field.name == "measures" and not access.is_superuser:
            kwargs["queryset"] = db_field.related_model.objects.filter(plan__municipality_id=access.municipality_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from plans.permissions import access_for

        access = access_for(request.user)
        if db_field.name == "session" and not access.is_superuser:
            kwargs["queryset"] = CouncilSession.objects.filter(municipality_id=access.municipality_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
