from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from measures import urls as measure_urls
from plans import views as plan_views
from work import views as work_views

admin.site.site_header = _("DXポータル 管理")
admin.site.site_title = _("DXポータル 管理")
admin.site.index_title = _("自治体DX推進計画の管理")

urlpatterns = [
    path("", plan_views.home, name="home"),
    path("healthz", plan_views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("work/", include("work.urls")),
    path("office/", include("office.urls")),
    # A measure's page (work/) shows its milestones, so it sits above measures/, whose URLs hold its forms.
    path(
        "measures/",
        include(([path("<int:pk>/", work_views.measure_detail, name="detail"), *measure_urls.urlpatterns], "measures")),
    ),
    path("milestones/", include("milestones.urls")),
    path("", include("council.urls")),  # /dashboard/changes/ and /council/…
    path("evaluations/", include("evaluations.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("api/", include("evaluations.api")),  # the 進捗状況報告書 in the open-data API
    path("governance/", include("governance.urls")),
    path("api/", include("api.urls")),
    path("jobs/", include("jobs.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("milestones.reminder_urls")),
]
