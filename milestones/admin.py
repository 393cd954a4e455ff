from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.fiscal import format_wareki
from jobs.services import start_job
from measures.models import Measure
from plans.admin_scoping import MunicipalityScopedAdmin, MunicipalityScopedInline, extend_registered_admin
from plans.models import Municipality
from plans.permissions import access_for

from .business_days import is_business_day, next_business_day
from .jobs import SEND_NOW
from .models import DueDateChangeRequest, Milestone, ReminderLog
from .reminders import preview, run_reminders
from .services import milestone_next_version


class MilestoneAdminForm(forms.ModelForm):
    """An admin edit (change page, measure inline, history revert) counts as a new version of the milestone."""

    def save(self, commit=True):
        if self.instance.pk and self.has_changed():
            self.instance.version = milestone_next_version(self.instance)
            self.instance._version_bumped = True  # save_model must not bump it a second time
        return super().save(commit)


@admin.register(Milestone)
class MilestoneAdmin(MunicipalityScopedAdmin, SimpleHistoryAdmin):
    form = MilestoneAdminForm
    municipality_lookup = "plan__municipality_id"
    list_display = ("code", "title", "measure", "kind", "due_date", "owner_department", "status", "completed_on")
    list_filter = (
        "status",
        "kind",
        ("plan", admin.RelatedOnlyFieldListFilter),
        ("owner_department", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("code", "title", "measure__code", "measure__title")
    list_select_related = ("measure", "owner_department")
    date_hierarchy = "due_date"
    autocomplete_fields = ("measure",)
    readonly_fields = ("baseline_due_date", "version")

    def save_model(self, request, obj: Milestone, form, change: bool) -> None:
        """Records who saved, and bumps the version unless the form already did (MilestoneAdminForm)."""
        obj.updated_by = request.user
        if change and not getattr(obj, "_version_bumped", False):
            obj.version = milestone_next_version(obj)
        super().save_model(request, obj, form, change)


@admin.register(DueDateChangeRequest)
class DueDateChangeRequestAdmin(MunicipalityScopedAdmin):
    """The record of due-date requests; deciding happens on the 事務局's home page (it moves the due date
    through the milestone service), so here everything is read-only."""

    municipality_lookup = "milestone__plan__municipality_id"
    list_display = (
        "requested_at",
        "milestone",
        "previous_due_date",
        "requested_due_date",
        "state",
        "requested_by",
        "decided_by",
        "decided_at",
    )
    list_filter = ("state",)
    search_fields = ("milestone__code", "milestone__title", "reason")
    list_select_related = ("milestone", "requested_by", "decided_by")
    readonly_fields = [f.name for f in DueDateChangeRequest._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MilestoneInline(MunicipalityScopedInline):
    model = Milestone
    form = MilestoneAdminForm
    extra = 0
    fields = ("code", "title", "kind", "due_date", "owner_department", "status", "completed_on")
    show_change_link = True


# A measure's change page lists its milestones (measures/admin.py does not know this app).
extend_registered_admin(Measure, inlines=[MilestoneInline, *admin.site.get_model_admin(Measure).inlines])


@admin.register(ReminderLog)
class ReminderLogAdmin(MunicipalityScopedAdmin):
    municipality_lookup = "department__municipality_id"
    change_list_template = "admin/milestones/reminderlog/change_list.html"
    list_display = (
        "claimed_at",
        "run_date",
        "stage",
        "milestone",
        "measure",
        "department",
        "recipient_list",
        "state",
        "attempts",
        "sent_at",
        "short_error",
    )
    list_filter = ("state", "stage", "escalated")
    search_fields = ("milestone__code", "milestone__title", "department__name")
    list_select_related = ("milestone", "measure", "department")
    readonly_fields = [f.name for f in ReminderLog._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("宛先"))
    def recipient_list(self, obj: ReminderLog) -> str:
        return ", ".join(obj.recipients)

    @admin.display(description=_("エラー"))
    def short_error(self, obj: ReminderLog) -> str:
        return obj.error[:80]

    def get_urls(self):
        own = [
            path("preview/", self.admin_site.admin_view(self.preview_view), name="milestones_reminderlog_preview"),
            path("send-now/", self.admin_site.admin_view(self.send_now_view), name="milestones_reminderlog_send_now"),
        ]
        return own + super().get_urls()

    def _scope(self, request: HttpRequest) -> int | None:
        access = access_for(request.user)
        if not access.is_admin:
            raise PermissionDenied
        return None if access.is_superuser else access.municipality_id

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """次回の通知プレビュー: what the next business day's run would send to whom (nothing is written)."""
        municipality_id = self._scope(request)
        today = timezone.localdate()
        run_date = (
            today
            if is_business_day(today) and timezone.localtime().strftime("%H:%M") < settings.REMINDER_SEND_TIME
            else next_business_day(today)
        )
        report = run_reminders(run_date=run_date, dry_run=True, municipality_id=municipality_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("次回の通知プレビュー"),
            "run_date_label": format_wareki(run_date, weekday=True),
            "digests": preview(report.digests, run_date=run_date),
            "today_is_business_day": is_business_day(today),
            "today_label": format_wareki(today, weekday=True),
            "next_business_day_label": format_wareki(next_business_day(today), weekday=True),
            "send_time": settings.REMINDER_SEND_TIME,
        }
        return TemplateResponse(request, "admin/milestones/reminderlog/preview.html", context)

    def send_now_view(self, request: HttpRequest) -> HttpResponse:
        """今すぐ送信: today's run, now. Already sent reminders are not sent again."""
        municipality_id = self._scope(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        today = timezone.localdate()
        if not is_business_day(today):
            self.message_user(request, _("本日は閉庁日のため送信しません。"), messages.WARNING)
        else:
            job = start_job(
                kind_name=SEND_NOW,
                municipality=Municipality.objects.filter(pk=municipality_id).first(),
                user=request.user,
                request=request,
                parameters={"run_date": today.isoformat(), "municipality_id": municipality_id},
            )
            return redirect(reverse("jobs:detail", args=[job.pk]))
        return redirect("admin:milestones_reminderlog_changelist")
