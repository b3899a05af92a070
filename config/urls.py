from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from fugong.api import api

urlpatterns = [
    # browsers ask for /favicon.ico whatever the page links: send them to the drawn mark
    path("favicon.ico", RedirectView.as_view(url=static("fugong/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("fugong.accounts.urls")),
    path("regions/", include("fugong.regions.urls")),
    path("enterprises/", include("fugong.enterprises.urls")),
    path("jobs/", include("fugong.core.urls")),
    path("dispatch/", include("fugong.dispatch.urls")),
    path("dispatch/", include("fugong.briefing.urls")),
    path("notifications/", include("fugong.notify.urls")),
    path("problems/", include("fugong.problems.urls")),
    path("lists/", include("fugong.lists.urls")),
]

# What escaped every handler: a lost database is still a 503, the API still answers JSON.
handler500 = "fugong.core.middleware.server_error"
