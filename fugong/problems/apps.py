from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "fugong.problems"
    label = "problems"
    verbose_name = "诉求办理"

    def ready(self) -> None:
        from fugong.problems import autoclose, sla  # noqa: F401  (register the close of unrated orders, SLA warnings)
