from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "fugong.sso"
    label = "sso"
    verbose_name = "企业微信与钉钉登录"
