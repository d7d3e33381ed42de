from django.urls import path

from web.operations.api import HealthApi, ReadinessApi

urlpatterns = [
    path("health/", HealthApi.as_view(), name="health"),
    path("health/ready/", ReadinessApi.as_view(), name="health-ready"),
]
