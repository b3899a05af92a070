from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fugong.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from fugong.accounts import signals

        signals.connect()  # account changes and sign-ins into the audit trail
