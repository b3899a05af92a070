from django.contrib import admin
from django.urls import include, path

from fugong.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("fugong.accounts.urls")),
    path("regions/", include("fugong.regions.urls")),
    path("enterprises/", include("fugong.enterprises.urls")),
    path("jobs/", include("fugong.core.urls")),
    path("dispatch/", include("fugong.dispatch.urls")),
    path("notifications/", include("fugong.notify.urls")),
    path("problems/", include("fugong.problems.urls")),
]
