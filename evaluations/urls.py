from django.urls import path

from . import views

app_name = "evaluations"
urlpatterns = [
    path("", views.index, name="index"),
    path("value/", views.value_for_money, name="value"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("measures/<int:pk>/", views.edit, name="edit"),
    path("measures/<int:pk>/review/", views.review, name="review"),
]
