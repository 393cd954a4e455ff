"""「担当の取組」 lives under /work/ with its own namespace (work:mine), the page staff land on after login."""

from django.urls import path

from . import views

app_name = "work"
urlpatterns = [
    path("", views.my_work, name="mine"),
]
