from django.urls import path

from zhaoshang.core.tabular import views as tabular_views
from zhaoshang.enterprises import views

app_name = "enterprises"
urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("new/", views.enterprise_create, name="create"),
    path("export.<str:fmt>", views.enterprise_export, name="export"),
    path("import/", tabular_views.import_view, {"resource": "enterprises"}, name="import"),
    path("import/template.xlsx", tabular_views.template_view, {"resource": "enterprises"}, name="import_template"),
    path("chains/", views.chain_list, name="chains"),
    path("chains/<id:pk>/", views.chain_detail, name="chain_detail"),
    path("<id:pk>/", views.enterprise_detail, name="detail"),
    path("<id:pk>/edit/", views.enterprise_edit, name="edit"),
    path("<id:pk>/merge/", views.enterprise_merge, name="merge"),
    path("<id:pk>/rankings/", views.ranking_add, name="ranking_add"),
    path("<id:pk>/contacts/", views.contact_add, name="contact_add"),
]
