"""The Stripe stand-in's routes, mounted at /stripe-sandbox/ when STRIPE_SANDBOX is on."""

from django.urls import path, re_path

from stripe_sandbox import views

app_name = "stripe_sandbox"

urlpatterns = [
    path("v1/products", views.products, name="products"),
    path("v1/prices", views.prices, name="prices"),
    path("v1/checkout/sessions", views.sessions, name="sessions"),
    path("v1/checkout/sessions/<str:object_id>/expire", views.expire, name="expire"),
    re_path(r"^v1/(?P<kind>checkout/sessions|[a-z_]+)/(?P<object_id>[A-Za-z0-9_]+)$", views.retrieve, name="retrieve"),
    path("checkout/<str:session_id>", views.pay, name="pay"),
    path("receipts/<str:charge_id>", views.receipt, name="receipt"),
    re_path(r"", views.unknown),
]
