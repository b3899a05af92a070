from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "fugong.dispatch"
    label = "dispatch"
    verbose_name = "调度"
