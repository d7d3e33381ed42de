from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "web.reviews"
    label = "reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The drift counter registers itself with prometheus_client on import.
        from web.reviews import metrics  # noqa: F401
