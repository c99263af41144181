"""The cluster's tasks by name, handed to django-q2 once the current transaction commits.

Each task is named by one constant, the dotted path of its function in worker.tasks. The web
side enqueues by these names, so it never imports the worker's modules (nor, through them, the
Pixapi client); tests/generations/test_layers.py checks that each name leads to a task function.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import transaction
from django_q import tasks

SUBMIT = "worker.tasks.submit_generation"
DOWNLOAD = "worker.tasks.download_result"
MAKE_PICTURES = "worker.tasks.make_pictures"
EXPORT = "worker.tasks.export_to_storage"
CONTINUE_SHOTS = "worker.tasks.continue_shots"
EXPORT_STORYBOARD = "worker.tasks.export_storyboard"
REMOVE_EXPIRED_EXPORTS = "worker.tasks.remove_expired_exports"  # the hourly schedule's
TASKS = (SUBMIT, DOWNLOAD, MAKE_PICTURES, EXPORT, CONTINUE_SHOTS, EXPORT_STORYBOARD, REMOVE_EXPIRED_EXPORTS)

DOWNLOAD_MARGIN_SECONDS = 90  # after the stream: checking the video, its poster, storing both

_held = threading.local()


type Message = tuple[str, tuple[Any, ...]]


def enqueue(task: str, *args: Any) -> None:
    """Hands `task` (one of the names above) to the cluster after the current transaction commits."""
    held = getattr(_held, "messages", None)
    if held is not None:
        held.append((task, args))
        return
    # robust: a broker that is down (Redis) must not turn a committed page into an error; the row
    # is in the database, and the sweeper's housekeeping hands it out again.
    transaction.on_commit(lambda: send([(task, args)]), robust=True)


@contextmanager
def one_commit_then_messages() -> Iterator[None]:
    """Runs the block in one transaction; the tasks it enqueues are sent after it commits, all in
    one transaction of their own (a single write with the database broker, not one per message)."""
    _held.messages = []
    try:
        with transaction.atomic():
            yield
        messages = _held.messages
    finally:
        _held.messages = None
    send(messages)


@contextmanager
def forgotten_on_error() -> Iterator[None]:
    """Inside one_commit_then_messages: messages enqueued in the block are dropped if it raises."""
    mark = len(_held.messages)
    try:
        yield
    except BaseException:
        del _held.messages[mark:]
        raise


def send(messages: list[Message]) -> None:
    if messages:
        with transaction.atomic():
            for task, args in messages:
                tasks.async_task(task, *args, **task_options(task))


def task_options(task: str) -> dict[str, Any]:
    if task == DOWNLOAD:
        # The cluster's time-out suits a submit; a big video on a slow link takes longer, so a
        # download has its own, matching its deadline and lease.
        return {"timeout": download_task_seconds()}
    if task in (EXPORT, EXPORT_STORYBOARD):
        return {"timeout": settings.EXPORT_TASK_SECONDS}  # a large export: gigabytes read and written
    return {}


def download_task_seconds() -> int:
    return int(settings.DOWNLOAD_SECONDS + DOWNLOAD_MARGIN_SECONDS)
