from django.apps import AppConfig


class LeadersConfig(AppConfig):
    """What leaders read of the dispatch: the dashboard, the daily brief, the official sheets.
    It reads dispatch and problems and writes nothing of theirs; it has no models."""

    name = "fugong.leaders"
    label = "leaders"
    verbose_name = "领导与报送"

    def ready(self) -> None:
        from fugong.leaders import export_jobs  # noqa: F401  (registers the export job)
