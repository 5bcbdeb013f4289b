from django.urls import path

from zhaoshang.org import views

app_name = "org"
urlpatterns = [
    path("", views.unit_list, name="units"),
    path("<id:pk>/", views.unit_detail, name="unit_detail"),
]
