from django.apps import AppConfig

# The module, not the class: Django picks an app's config among the classes this module
# holds, and Django's admin config is one marked default.
from django.contrib.admin import apps as admin_apps


class OperationsConfig(AppConfig):
    name = "web.operations"
    label = "operations"
    # This module holds a second AppConfig (the admin's): "web.operations" means this one.
    default = True


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our site. The site's module is named as a string and
    loaded on first use of `admin.site` (in autodiscovery, once every model is loaded),
    so it can import the accounts services at module level."""

    default = False
    default_site = "web.operations.admin_site.AdminSite"
