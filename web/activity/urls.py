from django.urls import path

from web.activity import api

urlpatterns = [
    path("me/activity/", api.ActivityListApi.as_view(), name="activity-list"),
    path("me/activity/trigger/", api.ActivityTriggerApi.as_view(), name="activity-trigger"),
]
