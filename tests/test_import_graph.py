"""The project's imports point down the layers of docs/architecture.md and never run in a circle.

Read from the source with `ast`, every import counts, function-local ones included. tests/, bench/ and
bin/ are left out: they may reach anything. The queue API (generations.taskqueue: enqueue a task by name)
and the picture helpers (generations.pictures: read, fit, store, sign) sit with the domain, since the
web side and the worker both use them.
"""

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"tests", "bench", "bin", "staticfiles", "var", "media", "build", "docs", "static", "templates"}

# Bottom to top. A module may import its own layer and the layers below it, never one above.
PIXAPI, CATALOG, DOMAIN, WORKER, REQUESTS, PAGES = range(6)
LAYER_NAMES = ["pixapi", "catalog", "domain", "worker", "requests", "pages"]
WORKER_MODULES = {
    "accounts.tasks",
    "generations.continuing",
    "generations.export",
    "generations.lifecycle",
    "generations.picture_worker",
    "generations.stitching",
    "generations.storyboard_export",
    "generations.sweeper",
    "generations.tasks",
    "webhooks.delivery",
    "webhooks.tasks",
}
REQUEST_MODULES = {
    "accounts.verification",
    "accounts.words",
    "api.auth",
    "api.idempotency",
    "generations.starting",
    "generations.storyboards",
}
PAGE_NAMES = {"admin", "apps", "checks", "context_processors", "decorators", "endpoints", "forms", "middleware"}
PAGE_NAMES |= {"public_pages", "schemas", "urls", "views", "wizard", "asgi", "wsgi", "manage", "gunicorn"}


def project_modules():
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in SKIP or parts[0].startswith(".") or "migrations" in parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    return modules


@functools.cache
def import_graph():
    modules = project_modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                # `import a.b.c` also runs a and a.b: the edge goes to the deepest module that exists.
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    found.add(target)
        graph[name] = found
    return graph


def layer_of(name):
    top, last = name.split(".")[0], name.rpartition(".")[2]
    parts = set(name.split("."))
    if top == "pixapi":
        return PIXAPI
    if name in WORKER_MODULES:
        return WORKER
    if name in REQUEST_MODULES:
        return REQUESTS
    if (
        last in PAGE_NAMES
        or last.endswith("_views")
        or {"management", "templatetags"} & parts
        or name in ("studio.settings", "studio.samples")
    ):
        return PAGES
    if top == "catalog":
        return CATALOG
    return DOMAIN


def find_cycle(graph):
    """One import circle as a list of modules, or None (depth-first search, colouring nodes)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for child in sorted(graph.get(node, ())):
            if state.get(child) == "open":
                return stack[stack.index(child) :] + [child]
            if child not in state and (cycle := visit(child)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_is_read():
    graph = import_graph()
    assert "pixapi.client" in graph["generations.lifecycle"]
    assert "catalog.models" in graph["generations.models"]
    assert len(graph) > 60


def test_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "An import circle: " + " -> ".join(cycle)


def test_a_circle_would_be_found():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_points_up_a_layer():
    upward = [
        f"{name} ({LAYER_NAMES[layer_of(name)]}) imports {target} ({LAYER_NAMES[layer_of(target)]})"
        for name, targets in import_graph().items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(name)
    ]
    assert upward == []


def test_the_sandbox_and_the_studio_never_import_each_other():
    graph = import_graph()
    for name, targets in graph.items():
        if name.split(".")[0] == "sandbox":
            studio_side = {t for t in targets if t.split(".")[0] != "sandbox"}
            assert not studio_side, f"{name} imports {studio_side}"
        else:
            assert not {t for t in targets if t.split(".")[0] == "sandbox"}, name


def test_accounts_and_the_catalog_know_nothing_of_the_apps_above_them():
    graph = import_graph()
    above = {
        "accounts": {"generations", "webhooks", "api", "studio", "sandbox"},
        "catalog": {"accounts", "generations", "webhooks", "api", "studio", "sandbox"},
        "pixapi": {"catalog", "accounts", "generations", "webhooks", "api", "studio", "sandbox"},
    }
    for name, targets in graph.items():
        forbidden = above.get(name.split(".")[0], set())
        assert not {t for t in targets if t.split(".")[0] in forbidden}, name
