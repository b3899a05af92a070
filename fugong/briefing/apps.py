from django.apps import AppConfig


class BriefingConfig(AppConfig):
    """What leaders read of the dispatch: the dashboard, the daily brief, the official sheets.
    It reads dispatch and problems and writes nothing of theirs; it has no models."""

    name = "fugong.briefing"
    label = "briefing"
    verbose_name = "领导与报送"

    def ready(self) -> None:
        from fugong.briefing import export_jobs  # noqa: F401  (registers the export job)
