"""The sandbox's routes, mounted at /pixapi-sandbox/ when no real Pixapi key is set."""

from django.urls import path, re_path

from sandbox import views

app_name = "pixapi_sandbox"

urlpatterns = [
    path("v1/async/videos/generations", views.submit_video, name="submit_video"),
    path("v1/videos/generations", views.retired_sync, name="retired_sync"),
    path("v1/tasks/<str:task_id>", views.get_task, name="get_task"),
    path("v1/images/generations", views.images, name="images"),
    path("v1/async/images/generations", views.submit_image, name="submit_image"),
    path("v1/models", views.models, name="models"),
    path("files/<str:name>", views.result_file, name="file"),
    path("_sandbox/stats", views.sandbox_stats, name="stats"),
    path("_sandbox/reset", views.sandbox_reset, name="reset"),
    re_path(r"", views.unknown_route),  # anything else: a JSON 404, as an API answers
]
