from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "web.profiles"
    label = "profiles"
