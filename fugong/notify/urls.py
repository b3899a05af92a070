from django.urls import path

from fugong.notify import views

urlpatterns = [
    path("", views.notifications, name="notifications"),
    path("read/", views.mark_read, name="notifications_read"),
    path("<int:notification_id>/open/", views.open_notification, name="notification_open"),
    path("settings/", views.notice_settings, name="notice_settings"),
]
