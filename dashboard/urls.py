from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("items/", views.measures, name="measures"),
    path("milestones/", views.milestones, name="milestones"),
    path("kpis/", views.kpis, name="kpis"),
    path("timeline/", views.timeline, name="timeline"),
    path("compare/", views.compare, name="compare"),
    path("export/<slug:table>.<slug:fmt>", views.export, name="export"),
]
