from django.urls import path

from fugong.core import views

urlpatterns = [
    path("<int:job_id>/", views.job_detail, name="job_detail"),
    path("<int:job_id>/result.xlsx", views.job_result, name="job_result"),
]
