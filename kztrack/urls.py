from django.contrib import admin
from django.urls import include, path

from kztrack.api import api
from timeline.views import favicon, healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("feeds.urls")),
    path("", include("timeline.urls")),
]
