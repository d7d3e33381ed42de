from django.apps import AppConfig


class RelationsConfig(AppConfig):
    name = "web.relations"
    label = "relations"
    verbose_name = "Relations"
