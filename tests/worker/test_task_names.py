"""The web side enqueues the worker's tasks by name (generations.taskqueue): each name must lead to a
task function in worker/tasks.py, and each task function must have its name there. The import rules
themselves (no page reaches the Pixapi client or the worker) are import-linter's contracts in
pyproject.toml, run by `make lint`."""

import importlib
import inspect
import pydoc

import pytest

from generations import taskqueue
from worker import tasks


@pytest.mark.parametrize("task", taskqueue.TASKS)
def test_every_task_name_the_web_side_enqueues_is_a_worker_task_function(task):
    module_name, _, function_name = task.rpartition(".")
    assert module_name == "worker.tasks"
    function = getattr(importlib.import_module(module_name), function_name, None)
    assert inspect.isfunction(function) and function.__module__ == "worker.tasks"


def test_every_task_function_has_its_name_in_the_queue():
    functions = {
        f"worker.tasks.{name}"
        for name, f in inspect.getmembers(tasks, inspect.isfunction)
        if f.__module__ == "worker.tasks"
    }
    assert functions == set(taskqueue.TASKS)


@pytest.mark.parametrize("task", taskqueue.TASKS)
def test_a_message_queued_under_the_old_name_still_finds_its_task(task):
    # django-q2's worker finds a message's function with pydoc.locate (django_q/worker.py)
    old_name = task.replace("worker.tasks.", "generations.tasks.")
    assert pydoc.locate(old_name) is pydoc.locate(task) is getattr(tasks, task.rpartition(".")[2])
