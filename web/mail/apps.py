from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "web.mail"
    label = "mail"
    verbose_name = "Mail"
