from django.urls import path

from fugong.dispatch.figures import views as board_views
from fugong.dispatch.plans import qr_views
from fugong.dispatch.plans import views as plan_views
from fugong.dispatch.reports import baseline_views
from fugong.dispatch.reports import views as report_views
from fugong.dispatch.sheets import template_views
from fugong.dispatch.sheets import views as import_views

urlpatterns = [
    path("board/", board_views.board, name="board"),
    path("board/remind/", board_views.remind, name="remind"),
    path("template.xlsx", template_views.report_template, name="report_template"),
    path("import/", import_views.report_import, name="report_import"),
    path("baselines/", baseline_views.baseline_changes, name="baseline_changes"),
    path("e/<str:uscc>/", report_views.enterprise_home, name="enterprise_home"),
    path("e/<str:uscc>/report/", report_views.report_form, name="report_form"),
    path("reports/<int:report_id>/", report_views.report_detail, name="report_detail"),
    path("plans/", plan_views.plan_list, name="plan_list"),
    path("plans/new/", plan_views.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<int:plan_id>/unlock/", plan_views.plan_unlock, name="plan_unlock"),
    path("plans/<int:plan_id>/qr/", qr_views.plan_qr_sheet, name="plan_qr_sheet"),
]
