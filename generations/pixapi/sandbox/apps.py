from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "generations.pixapi.sandbox"
    label = "sandbox"
    verbose_name = "Pixapi sandbox"
