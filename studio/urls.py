from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from studio import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

if settings.PIXAPI_USE_SANDBOX:
    urlpatterns.append(path("pixapi-sandbox/", include("generations.pixapi.sandbox.urls")))
