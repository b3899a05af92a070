from django.urls import path

from fugong.enterprises import views

urlpatterns = [
    path("", views.enterprise_list, name="enterprise_list"),
    path("new/", views.enterprise_create, name="enterprise_create"),
    path("import/", views.enterprise_import, name="enterprise_import"),
    path("<str:uscc>/", views.enterprise_detail, name="enterprise_detail"),
    path("<str:uscc>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("<str:uscc>/invite/", views.enterprise_invite, name="enterprise_invite"),
]
