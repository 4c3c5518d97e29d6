from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "concord.policy"
    label = "policy"
    verbose_name = "Policy: topics, options and commitments"
