from django.urls import path

from zhaoshang.core.tabular import views as tabular_views
from zhaoshang.projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("kanban/", views.kanban, name="kanban"),
    path("new/", views.project_create, name="create"),
    path("export.<str:fmt>", views.project_export, name="export"),
    path("import/", tabular_views.import_view, {"resource": "projects"}, name="import"),
    path("import/template.xlsx", tabular_views.template_view, {"resource": "projects"}, name="import_template"),
    path("<id:pk>/", views.project_detail, name="detail"),
    path("<id:pk>/edit/", views.project_edit, name="edit"),
    path("<id:pk>/move/", views.project_move, name="move"),
    path("<id:pk>/credits/", views.credits_edit, name="credits"),
    path("<id:pk>/members/", views.members_edit, name="members"),
    path("<id:pk>/contacts/", views.contact_add, name="contact_add"),
]
