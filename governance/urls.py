from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("body/", views.body, name="body"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/agenda/accept/", views.agenda_accept, name="agenda_accept"),
    path("meetings/<int:pk>/agenda/add/", views.agenda_add, name="agenda_add"),
    path("agenda/<int:pk>/", views.agenda_item_edit, name="agenda_item"),
    path("meetings/<int:pk>/decisions/new/", views.decision_new, name="decision_new"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="minutes"),
    path("meetings/<int:pk>/print/", views.meeting_print, name="meeting_print"),
    path("meetings/<int:pk>/material.xlsx", views.meeting_xlsx, name="meeting_xlsx"),
    path("revisions/", views.revision_list, name="revisions"),
    path("revisions/<int:pk>/", views.revision_detail, name="revision"),
    path("revisions/<int:pk>/shinkyu.xlsx", views.revision_xlsx, name="revision_xlsx"),
    path("revisions/<int:pk>/approve/", views.revision_approve, name="revision_approve"),
    path("revisions/<int:pk>/withdraw/", views.revision_withdraw, name="revision_withdraw"),
]
