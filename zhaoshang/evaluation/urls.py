from django.urls import path

from zhaoshang.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("compare/", views.compare, name="compare"),
    path("scheme/", views.scheme, name="scheme"),
    path("scheme/new/", views.scheme_edit, name="scheme_edit"),
    path("scheme/v<int:number>/", views.scheme_version, name="scheme_version"),
    path("projects/<int:pk>/fast-track/", views.fast_track, name="fast_track"),
    path("projects/<int:pk>/meetings/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/opinion/", views.opinion, name="opinion"),
    path("meetings/<int:pk>/decide/", views.decide, name="decide"),
    path("conditions/<int:pk>/", views.condition_done, name="condition_done"),
]
