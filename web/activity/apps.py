from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "web.activity"
    label = "activity"
