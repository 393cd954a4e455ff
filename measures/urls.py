from django.urls import path

from . import views

app_name = "measures"
urlpatterns = [
    path("<int:pk>/", views.measure_detail, name="detail"),
    path("<int:pk>/progress/", views.measure_report_progress, name="report_progress"),
    path("indicators/<int:pk>/values/new/", views.indicator_record_value, name="record_value"),
]
