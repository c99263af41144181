from django.apps import AppConfig


class StripeSandboxConfig(AppConfig):
    name = "stripe_sandbox"
    label = "stripe_sandbox"
    verbose_name = "Stripe stand-in"
