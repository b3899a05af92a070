from django.urls import path

from fugong.briefing import views

# Mounted under /dispatch/ beside the dispatch pages: these addresses are public (API.md).
urlpatterns = [
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("brief/", views.brief_page, name="brief"),
    path("brief.docx", views.brief_docx, name="brief_docx"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
]
