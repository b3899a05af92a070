from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "fugong.notify"
    label = "notify"
    verbose_name = "通知"

    def ready(self) -> None:
        from fugong.notify import jobs  # noqa: F401  (registers the outbox and the purge)
