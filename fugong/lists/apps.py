from django.apps import AppConfig


class ListsConfig(AppConfig):
    name = "fugong.lists"
    label = "lists"
    verbose_name = "重点企业清单"
