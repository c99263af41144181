from django.urls import path

from ops import views

urlpatterns = [
    path("status/", views.status_page, name="status"),
    path("healthz/", views.healthz, name="healthz"),
    path("metrics/", views.metrics_page, name="metrics"),
]
