from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fugong.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from fugong.accounts import devices, jobs, signals  # noqa: F401  (jobs registers the purge)
        from fugong.accounts.models import active_memberships
        from fugong.core.access import register_membership_source

        signals.connect()  # account changes and sign-ins into the audit trail
        register_membership_source(active_memberships)  # core.access imports no app
        devices.connect()  # sign-ins and sign-outs kept per session for "我的设备"
