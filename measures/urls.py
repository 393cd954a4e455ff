"""The measure forms under /measures/ (namespace "measures"); dxportal/urls.py adds the measure's page
itself (work.views.measure_detail) to the same namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/progress/", views.measure_report_progress, name="report_progress"),
    path("indicators/<int:pk>/values/new/", views.indicator_record_value, name="record_value"),
]
