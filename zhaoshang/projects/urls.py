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
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/move/", views.project_move, name="move"),
    path("<int:pk>/credits/", views.credits_edit, name="credits"),
    path("<int:pk>/members/", views.members_edit, name="members"),
    path("<int:pk>/contacts/", views.contact_add, name="contact_add"),
]
