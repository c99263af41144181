"""django-q2 task functions: thin entries into the worker's modules, enqueued by the names in
generations.taskqueue."""

from uuid import UUID

from generations import queue
from generations.models import Generation
from library import export
from storyboards import continuing
from storyboards import export as storyboard_export
from worker import lifecycle, picture_worker


def submit_generation(generation_id: UUID | str) -> str:
    outcome = lifecycle.submit(generation_id)
    if outcome != "submitted":
        queue.dispatch()  # its slot is free again (failed, or back in the queue): the next one goes
    return outcome


def download_result(generation_id: UUID | str) -> str:
    outcome = lifecycle.download(generation_id)
    if outcome != "retry":
        queue.dispatch()  # a creator's place is free: their next waiting video goes
    return outcome


def make_pictures(request_id: UUID | str) -> str:
    outcome = picture_worker.make(request_id)
    queue.dispatch()
    return outcome


def export_to_storage(user_id: int, kind: str, pk: int | None = None, export_id: int | None = None) -> str:
    return export.export_to_storage(user_id, kind, pk, export_id)


def remove_expired_exports() -> int:
    return export.remove_expired()


def continue_shots(generation_id: UUID | str) -> int:
    gen = Generation.objects.filter(pk=generation_id, status=Generation.Status.COMPLETED).first()
    started = continuing.after_stored(gen) if gen else 0
    queue.dispatch()
    return started


def export_storyboard(export_id: int) -> str:
    return storyboard_export.run(export_id)
