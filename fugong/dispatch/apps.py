from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "fugong.dispatch"
    label = "dispatch"
    verbose_name = "调度"

    def ready(self) -> None:
        from fugong.core.signals import registry_changed
        from fugong.dispatch import report_jobs, rollups  # noqa: F401  (report_jobs registers its job)

        registry_changed.connect(lambda **kwargs: rollups.invalidate(), weak=False, dispatch_uid="rollups")
