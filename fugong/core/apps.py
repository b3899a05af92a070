from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fugong.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from fugong.core import checks  # noqa: F401  (registers the deployment checks)
