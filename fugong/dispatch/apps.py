from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "fugong.dispatch"
    label = "dispatch"
    verbose_name = "调度"

    def ready(self) -> None:
        from fugong.core.signals import registry_changed
        from fugong.dispatch.figures import rollover, rollups  # noqa: F401  (they register jobs)
        from fugong.dispatch.plans import reminders  # noqa: F401  (the reminder rounds)
        from fugong.dispatch.sheets import jobs  # noqa: F401  (the import job)

        registry_changed.connect(
            lambda edits=None, **kwargs: rollups.invalidate(edits), weak=False, dispatch_uid="rollups"
        )
