from django.urls import path

from web.lessons import api

app_name = "lessons"

urlpatterns = [
    path("lessons/", api.LessonCreateApi.as_view(), name="create"),
    path("lessons/my/", api.LessonMyListApi.as_view(), name="my"),
    path("lessons/calendar.ics", api.CalendarFeedApi.as_view(), name="calendar-feed"),
    path("lessons/<int:lesson_id>/", api.LessonDetailApi.as_view(), name="detail"),
    path("lessons/<int:lesson_id>/reschedule/", api.LessonRescheduleApi.as_view(), name="reschedule"),
    path("lessons/<int:lesson_id>/cancel/", api.LessonCancelApi.as_view(), name="cancel"),
    path("me/calendar-token/", api.CalendarTokenRotateApi.as_view(), name="calendar-token"),
]
