from django.urls import path

from fugong.core import views

urlpatterns = [path("<int:job_id>/", views.job_detail, name="job_detail")]
