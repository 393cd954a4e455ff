from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("plans", views.PlanViewSet, basename="plan")
router.register("measures", views.MeasureViewSet, basename="measure")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("indicator-values", views.IndicatorValueViewSet, basename="indicatorvalue")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path("docs/", views.docs, name="docs"),
    path("", include(router.urls)),
]
