from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fugong.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from fugong.core import checks  # noqa: F401  (registers the deployment checks)
        from fugong.core.calendar import forget_overrides
        from fugong.core.models import CalendarOverride

        for signal in (post_save, post_delete):
            signal.connect(lambda **kwargs: forget_overrides(), sender=CalendarOverride, weak=False)
