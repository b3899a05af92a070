from django.urls import include, path

from fugong.accounts import sms_views, sso_views, views
from fugong.accounts.models import Provider

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("login/sms/code/", sms_views.send_code, name="sms_send_code"),
    path("login/sms/", sms_views.sign_in, name="sms_sign_in"),
    path("devices/", sms_views.device_list, name="devices"),
    path("devices/<int:device_id>/revoke/", sms_views.revoke_device, name="revoke_device"),
    path("devices/revoke-others/", sms_views.revoke_other_devices, name="revoke_other_devices"),
    path("accounts/", include("fugong.accounts.administration_urls")),
    # WeCom / DingTalk: one fixed pair per provider (the address its console has on file)
    *(
        route
        for provider in Provider.values
        for route in (
            path(f"sso/{provider}/", sso_views.begin, {"provider": provider}, name=f"sso_begin_{provider}"),
            path(
                f"sso/{provider}/callback/",
                sso_views.callback,
                {"provider": provider},
                name=f"sso_callback_{provider}",
            ),
        )
    ),
]
