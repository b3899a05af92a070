from django.urls import path

from fugong.regions import views

urlpatterns = [path("<str:code>/", views.region_detail, name="region_detail")]
