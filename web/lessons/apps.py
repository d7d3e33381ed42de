from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "web.lessons"
    label = "lessons"
    verbose_name = "Lessons"
