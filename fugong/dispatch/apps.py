from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "fugong.dispatch"
    label = "dispatch"
    verbose_name = "调度"

    def ready(self) -> None:
        from fugong.core.signals import registry_changed
        from fugong.dispatch import export_jobs, report_jobs, rollover, rollups  # noqa: F401  (they register jobs)

        registry_changed.connect(lambda **kwargs: rollups.invalidate(), weak=False, dispatch_uid="rollups")
