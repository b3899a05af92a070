from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "fugong.notify"
    label = "notify"
    verbose_name = "通知"
