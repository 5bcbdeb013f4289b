from django.urls import path

from zhaoshang.screening import views

app_name = "screening"
urlpatterns = [
    path("", views.project_list, name="projects"),
    path("prescreen/", views.prescreen, name="prescreen"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<id:pk>/", views.rule_detail, name="rule_detail"),
    path("rules/<id:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<id:pk>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("entries/", views.entry_list, name="entries"),
    path("entries/<id:pk>/toggle/", views.entry_toggle, name="entry_toggle"),
    path("entries/export.xlsx", views.entry_export, name="entry_export"),
    # The import engine's page builds its links as "<namespace>:import" and ":import_template".
    path("entries/import/", views.entry_import, name="import"),
    path("entries/import/template.xlsx", views.entry_template, name="import_template"),
]
