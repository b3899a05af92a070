from django.urls import path

from fugong.lists import views

urlpatterns = [
    path("", views.list_index, name="key_list_index"),
    path("new/", views.list_new, name="key_list_new"),
    path("<int:list_id>/", views.list_detail, name="key_list_detail"),
    path("<int:list_id>/export.xlsx", views.list_export, name="key_list_export"),
    path("<int:list_id>/nominate/", views.list_nominate, name="key_list_nominate"),
    path("<int:list_id>/decide/", views.list_decide, name="key_list_decide"),
]
