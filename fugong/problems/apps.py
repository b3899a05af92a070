from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "fugong.problems"
    label = "problems"
    verbose_name = "诉求办理"
