from django.urls import path

from fugong.sso import views
from fugong.sso.models import Provider

# one fixed pair per provider (the address its console has on file), not a pattern any name fits
urlpatterns = [
    route
    for provider in Provider.values
    for route in (
        path(f"sso/{provider}/", views.begin, {"provider": provider}, name=f"sso_begin_{provider}"),
        path(f"sso/{provider}/callback/", views.callback, {"provider": provider}, name=f"sso_callback_{provider}"),
    )
]
