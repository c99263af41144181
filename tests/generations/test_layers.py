"""The web side and the worker side are separate modules: no page reaches the Pixapi client, even
through another module, and the web side enqueues the worker's tasks by name only."""

import importlib
import inspect

import pytest

from generations import taskqueue
from tests.test_import_graph import import_graph, project_modules

PAGE_MODULES = ("views", "admin", "forms", "urls", "endpoints", "wizard")  # and any *_views


def is_page(name):
    last = name.rpartition(".")[2]
    return last in PAGE_MODULES or last.endswith("_views")


def reachable(start, modules):
    graph = import_graph()
    seen, todo, came_from = set(), [start], {}
    while todo:
        name = todo.pop()
        for child in graph.get(name, ()):
            if child not in seen:
                seen.add(child)
                came_from[child] = name
                todo.append(child)
    return seen, came_from


def pages(modules):
    return sorted(name for name in modules if is_page(name))


def test_the_pages_are_found():
    found = pages(project_modules())
    assert {"generations.views", "generations.admin", "studio.wizard", "accounts.views"} <= set(found)


@pytest.mark.parametrize("page", pages(project_modules()))
def test_no_page_reaches_the_pixapi_client_even_through_another_module(page):
    modules = project_modules()
    seen, came_from = reachable(page, modules)
    reached = sorted(name for name in seen if name == "pixapi" or name.startswith("pixapi."))
    if reached:
        chain, name = [reached[0]], reached[0]
        while name in came_from:
            name = came_from[name]
            chain.append(name)
        raise AssertionError(f"{page} reaches the client: {' -> '.join(reversed(chain))}")


def test_the_web_side_reaches_no_worker_module():
    modules = project_modules()
    worker = {
        "generations.tasks",
        "generations.lifecycle",
        "generations.sweeper",
        "generations.picture_worker",
        "webhooks.tasks",
        "webhooks.delivery",
    }
    for start in [*pages(modules), "generations.starting", "generations.taskqueue"]:
        assert not reachable(start, modules)[0] & worker, start


@pytest.mark.parametrize("task", taskqueue.TASKS)
def test_every_task_name_the_web_side_enqueues_is_a_worker_task_function(task):
    module_name, _, function_name = task.rpartition(".")
    assert module_name == "generations.tasks"
    function = getattr(importlib.import_module(module_name), function_name, None)
    assert inspect.isfunction(function) and function.__module__ == "generations.tasks"


def test_every_task_function_has_its_name_in_the_queue():
    from generations import tasks

    functions = {
        f"generations.tasks.{name}"
        for name, f in inspect.getmembers(tasks, inspect.isfunction)
        if f.__module__ == "generations.tasks"
    }
    assert functions == set(taskqueue.TASKS)
