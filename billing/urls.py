from django.urls import path

from billing import views

urlpatterns = [
    path("billing/", views.payments, name="payments"),
    path("billing/buy/", views.buy, name="buy_credits"),
    path("billing/payments/<int:pk>/", views.payment, name="payment"),
    path("billing/payments/<int:pk>/status/", views.payment_status, name="payment_status"),
    path("billing/payments/<int:pk>/canceled/", views.payment_canceled, name="payment_canceled"),
    path("billing/stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
