import sys

from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "worker"

    def ready(self) -> None:
        # Messages queued before the tasks moved here name them "generations.tasks.<name>"; django-q2
        # finds a task by its dotted name, so the old name leads here too until such messages are gone
        # (README: "Upgrading"). Remove in the release after the one that moved them.
        import generations
        from worker import tasks

        sys.modules.setdefault("generations.tasks", tasks)
        generations.tasks = tasks  # type: ignore[attr-defined]  # the old name, only at run time
