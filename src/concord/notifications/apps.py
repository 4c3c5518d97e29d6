from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "concord.notifications"
    label = "notifications"
    verbose_name = "Notifications"
