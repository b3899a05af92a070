from django.apps import AppConfig


class ListsConfig(AppConfig):
    name = "fugong.lists"
    label = "lists"
    verbose_name = "重点企业清单"

    def ready(self) -> None:
        from fugong.dispatch.plans.selection import register_criterion
        from fugong.lists.plan_criterion import LISTS

        register_criterion("lists", LISTS)  # a plan may follow lists as of the day
