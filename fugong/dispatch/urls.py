from django.urls import path

from fugong.dispatch import baseline_views, import_views, plan_views, report_views, template_views, views

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/remind/", views.remind, name="remind"),
    path("dashboard/", report_views.dashboard_page, name="dashboard"),
    path("brief/", report_views.brief_page, name="brief"),
    path("brief.docx", report_views.brief_docx, name="brief_docx"),
    path("export.xlsx", report_views.export_xlsx, name="export_xlsx"),
    path("template.xlsx", template_views.report_template, name="report_template"),
    path("import/", import_views.report_import, name="report_import"),
    path("baselines/", baseline_views.baseline_changes, name="baseline_changes"),
    path("e/<str:uscc>/", views.enterprise_home, name="enterprise_home"),
    path("e/<str:uscc>/report/", views.report_form, name="report_form"),
    path("reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path("plans/", plan_views.plan_list, name="plan_list"),
    path("plans/new/", plan_views.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<int:plan_id>/unlock/", plan_views.plan_unlock, name="plan_unlock"),
]
