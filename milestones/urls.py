from django.urls import path

from . import views

app_name = "milestones"
urlpatterns = [
    path("<int:pk>/", views.milestone_detail, name="detail"),
    path("<int:pk>/update/", views.milestone_update_view, name="update"),
]
