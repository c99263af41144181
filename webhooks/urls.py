from django.urls import path

from webhooks import views

urlpatterns = [
    path("", views.endpoints, name="webhook_endpoints"),
    path("<int:pk>/", views.endpoint, name="webhook_endpoint"),
    path("<int:pk>/test/", views.send_test, name="webhook_send_test"),
    path("<int:pk>/delete/", views.delete, name="webhook_delete"),
    path("<int:pk>/rotate-secret/", views.rotate_secret, name="webhook_rotate_secret"),
    path("<int:pk>/deliveries/<uuid:delivery_pk>/resend/", views.resend, name="webhook_resend"),
]
