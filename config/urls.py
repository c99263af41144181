"""The root URLconf: each app's routes, included whole. The stand-ins' only when they are switched on."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = admin.site.site_title = admin.site.index_title = "Studio admin"
admin.site.enable_nav_sidebar = False  # the lists get the width (1280 px fits them); the index lists every model

urlpatterns = [
    path("", include("studio.urls")),
    path("", include("generations.urls")),
    path("", include("library.urls")),
    path("", include("compare.urls")),
    path("", include("storyboards.urls")),
    path("", include("batches.urls")),
    path("", include("billing.urls")),
    path("", include("ops.urls")),
    path("accounts/", include("accounts.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

if settings.PIXAPI_USE_SANDBOX:
    urlpatterns.append(path("pixapi-sandbox/", include("sandbox.urls")))
if settings.STRIPE_USE_SANDBOX:
    urlpatterns.append(path("stripe-sandbox/", include("stripe_sandbox.urls")))
