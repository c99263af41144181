from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from studio import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("create/", views.create, name="create"),
    path("create/options/", views.form_options, name="form_options"),
    path("prompts/save/", views.save_prompt, name="save_prompt"),
    path("prompts/<int:pk>/delete/", views.delete_saved_prompt, name="delete_saved_prompt"),
    path("healthz/", views.healthz, name="healthz"),
    path("generations/", include("generations.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

if settings.PIXAPI_USE_SANDBOX:
    urlpatterns.append(path("pixapi-sandbox/", include("generations.pixapi.sandbox.urls")))
