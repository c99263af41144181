"""The studio's own system checks; `manage.py check --deploy` runs them with Django's."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

NO_MAIL_BACKENDS = ("console", "locmem", "dummy", "filebased")


@register(Tags.security, deploy=True)
def check_production_settings(app_configs, **kwargs):
    problems = []
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        problems.append(
            Error(
                "SECRET_KEY is the development key, which anyone can read in the source.",
                hint="Set SECRET_KEY to a long random value, the same on every machine.",
                id="studio.E001",
            )
        )
    if settings.PIXAPI_USE_SANDBOX:
        problems.append(
            Error(
                "The Pixapi sandbox is on (PIXAPI_SANDBOX=1): a development tool that anyone could use.",
                hint="Unset PIXAPI_SANDBOX and set PIXAPI_API_KEY.",
                id="studio.E002",
            )
        )
    if settings.STRIPE_USE_SANDBOX:
        problems.append(
            Error(
                'The Stripe stand-in is on (STRIPE_SANDBOX=1): anyone could "pay" with a test card and get credits.',
                hint="Unset STRIPE_SANDBOX and set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (or PAYMENTS=0).",
                id="studio.E003",
            )
        )
    backend = settings.MAILERS["default"]["BACKEND"]
    if backend.rsplit(".", 2)[-2] in NO_MAIL_BACKENDS:
        problems.append(
            Warning(
                f"E-mail is not sent anywhere (EMAIL_BACKEND is {backend}): nobody can verify an address.",
                hint="Set EMAIL_HOST, EMAIL_HOST_USER and EMAIL_HOST_PASSWORD (SMTP).",
                id="studio.W001",
            )
        )
    return problems
