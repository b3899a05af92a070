from django.urls import path

from fugong.problems import views

urlpatterns = [
    path("", views.problem_list, name="problem_list"),
    path("new/", views.problem_new, name="problem_new"),
    path("scorecard/", views.scorecard, name="problem_scorecard"),
    path("<int:problem_id>/", views.problem_detail, name="problem_detail"),
    path("<int:problem_id>/act/", views.problem_act, name="problem_act"),
    path("<int:problem_id>/attach/", views.problem_attach, name="problem_attach"),
    path("<int:problem_id>/files/<int:attachment_id>/", views.attachment_download, name="problem_attachment"),
]
