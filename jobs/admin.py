"""The 事務局's list of background jobs in the admin (read-only; the progress page is /jobs/<id>/)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from plans.admin_scoping import MunicipalityScopedAdmin

from .models import Job


@admin.register(Job)
class JobAdmin(MunicipalityScopedAdmin):
    list_display = (
        "id",
        "kind_label",
        "state",
        "stage",
        "done",
        "total",
        "user",
        "created_at",
        "finished_at",
        "progress_link",
    )
    list_filter = ("state", "kind")
    list_select_related = ("user",)
    exclude = ("input_file", "result_file", "parameters", "result")
    readonly_fields = (
        "municipality",
        "user",
        "kind",
        "state",
        "stage",
        "done",
        "total",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "result_file_name",
        "error",
        "progress_link",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("input_file", "result_file")

    @admin.display(description=_("種類"))
    def kind_label(self, obj: Job) -> str:
        return obj.label

    @admin.display(description=_("進捗"))
    def progress_link(self, obj: Job) -> str:
        return format_html('<a href="{}">{}</a>', reverse("jobs:detail", args=[obj.pk]), _("進捗を見る"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
