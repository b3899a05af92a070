from django.urls import path

from fugong.notify import views

urlpatterns = [
    path("", views.notifications, name="notifications"),
    path("settings/", views.notice_settings, name="notice_settings"),
]
