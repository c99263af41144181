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
