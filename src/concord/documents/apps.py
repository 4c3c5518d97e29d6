from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "concord.documents"
    label = "documents"
    verbose_name = "Documents"
