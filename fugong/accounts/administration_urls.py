"""账号管理: delegated administration of the accounts of a dispatcher's region (issue 14 §1)."""

from django.urls import path

from fugong.accounts import administration_views as views

urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("new/", views.account_create, name="account_create"),
    path("<int:user_id>/", views.account_detail, name="account_detail"),
    path("<int:user_id>/grant/", views.account_grant, name="account_grant"),
    path("<int:user_id>/withdraw/", views.account_withdraw, name="account_withdraw"),
    path("<int:user_id>/disable/", views.account_disable, name="account_disable"),
    path("<int:user_id>/enable/", views.account_enable, name="account_enable"),
    path("<int:user_id>/reset/", views.account_reset, name="account_reset"),
    path("<int:user_id>/sign-out/", views.account_end_sign_ins, name="account_end_sign_ins"),
]
