from django.urls import path

from . import views

app_name = "milestones"
urlpatterns = [
    path("<int:pk>/", views.milestone_detail, name="detail"),
    path("<int:pk>/update/", views.milestone_update_view, name="update"),
    path("<int:pk>/due-date/", views.request_due_date_change, name="request_due_date"),
    path("due-date-requests/<int:pk>/decide/", views.decide_due_date_change, name="decide_due_date"),
]
