from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "fugong.problems"
    label = "problems"
    verbose_name = "诉求办理"

    def ready(self) -> None:
        from fugong.problems import autoclose  # noqa: F401  (registers the close of unrated orders)
