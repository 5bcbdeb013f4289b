from django.urls import path

from zhaoshang.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<id:pk>/", views.job_detail, name="detail"),
    path("<id:pk>/status/", views.job_status, name="status"),
    path("<id:pk>/retry/", views.job_retry, name="retry"),
]
