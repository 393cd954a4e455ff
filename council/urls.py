from django.urls import path

from . import views

app_name = "council"
urlpatterns = [
    path("dashboard/changes/", views.changes, name="changes"),
    path("dashboard/changes/export.<slug:fmt>", views.changes_export, name="changes_export"),
    path("council/", views.sessions, name="sessions"),
    path("council/commitments/<int:pk>/", views.commitment_detail, name="commitment"),
    path("council/commitments/<int:pk>/update/", views.commitment_update, name="commitment_update"),
    path("council/sessions/<int:pk>/briefing/", views.briefing, name="briefing"),
    path("council/sessions/<int:pk>/briefing.xlsx", views.briefing_download, name="briefing_xlsx"),
]
