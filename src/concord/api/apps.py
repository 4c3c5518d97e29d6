from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "concord.api"
    label = "api"
    verbose_name = "API"
