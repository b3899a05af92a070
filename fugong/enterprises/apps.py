from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "fugong.enterprises"
    label = "enterprises"
    verbose_name = "企业库"

    def ready(self) -> None:
        from fugong.enterprises import jobs  # noqa: F401  (registers the import job handler)
