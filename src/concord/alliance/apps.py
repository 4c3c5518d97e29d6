from django.apps import AppConfig


class AllianceConfig(AppConfig):
    name = "concord.alliance"
    label = "alliance"
    verbose_name = "Alliance"
