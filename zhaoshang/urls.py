"""URL map: one include per domain app."""

from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from zhaoshang.core import views as core_views
from zhaoshang.core.params import IdConverter

# Every id in a path is an ``<id:…>``: ASCII digits from 1 to 2**63 - 1, else a 404.
register_converter(IdConverter, "id")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("zhaoshang.org.urls")),
    path("jobs/", include("zhaoshang.jobs.urls")),
    path("enterprises/", include("zhaoshang.enterprises.urls")),
    path("projects/", include("zhaoshang.projects.urls")),
    path("screening/", include("zhaoshang.screening.urls")),
    path("evaluation/", include("zhaoshang.evaluation.urls")),
]
