from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "web.profiles"
    label = "profiles"

    def ready(self) -> None:
        from web.profiles import signals  # noqa: F401  (connects the receivers)
