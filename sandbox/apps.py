from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SandboxConfig(AppConfig):
    name = "sandbox"
    label = "sandbox"
    verbose_name = "Pixapi sandbox"

    def ready(self):
        from sandbox import faults

        # A typo in the run-wide fault switch should stop start-up, not silently switch nothing on.
        try:
            faults.parse_run(getattr(settings, "PIXAPI_SANDBOX_FAULTS", ""))
        except faults.FaultError as error:
            raise ImproperlyConfigured(str(error)) from None
