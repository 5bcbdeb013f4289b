from django.urls import path

from zhaoshang.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("compare/", views.compare, name="compare"),
    path("scheme/", views.scheme, name="scheme"),
    path("scheme/new/", views.scheme_edit, name="scheme_edit"),
    path("scheme/v<id:number>/", views.scheme_version, name="scheme_version"),
    path("projects/<id:pk>/fast-track/", views.fast_track, name="fast_track"),
    path("projects/<id:pk>/meetings/", views.meeting_create, name="meeting_create"),
    path("meetings/<id:pk>/opinion/", views.opinion, name="opinion"),
    path("meetings/<id:pk>/decide/", views.decide, name="decide"),
    path("conditions/<id:pk>/", views.condition_done, name="condition_done"),
]
