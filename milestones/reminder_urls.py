from django.urls import path

from . import reminder_views

urlpatterns = [
    path("accounts/notifications/", reminder_views.notification_settings, name="notification_settings"),
    path("calendar/<str:token>.ics", reminder_views.department_calendar, name="department_calendar"),
]
