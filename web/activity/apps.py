from django.apps import AppConfig

from web.core.metrics import register_redis_buffer


class ActivityConfig(AppConfig):
    name = "web.activity"
    label = "activity"

    def ready(self) -> None:
        # Imported here: the services import models, which load only once the registry is ready.
        from web.activity import signals  # noqa: F401  (connects the receivers)
        from web.activity.buffer import BUFFER_KEY, PROCESSING_KEY

        # Waiting and in-flight events together: a drain moves a batch from one to the other.
        register_redis_buffer("activity", BUFFER_KEY, PROCESSING_KEY)
