"""Every route, tried with hostile input as the owner, another creator and nobody: never a 5xx, and
nothing of anyone else's changes. Staff walk it too (admin's own pages), asked only for no 5xx.

The routes come from the resolver itself (admin's and, when mounted, the sandbox's included), so a new
route is walked without being named here. Path parameters are filled by converter type with the owner's
real ids and with hostile values; queries, headers and form fields get hostile values (hypothesis, with a
fixed seed and a few examples per route, so the walk stays well under a minute). A failing route is shrunk
by hypothesis to its smallest failing request, and every route is walked before the test reports them all.
"""

import ast
import functools
import inspect
import json
import os
import textwrap
import traceback
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.apps import apps
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, converters, get_resolver
from django.urls.resolvers import RoutePattern
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image

from accounts.models import User
from generations import health, pictures
from generations.models import Collection, Draft, Generation, Picture
from library import sharing
from studio.models import SavedPrompt
from tests.generations.videos import make_generation, make_video

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "generations", "studio")
# HOSTILE_WALK_EXAMPLES=50 walks deeper, with fresh random examples each run (the default is fixed).
EXAMPLES_PER_ROUTE = int(os.environ.get("HOSTILE_WALK_EXAMPLES", "4"))
FIXED_SEED = "HOSTILE_WALK_EXAMPLES" not in os.environ

# NUL is refused by config.middleware before any view (tests/test_hostile_input.py); here it is only in
# path parameters, so that other values reach the views.
NUL = ["\x00", "a\x00b"]
NASTY = [
    "",
    " ",
    "%00",
    "9" * 5000,
    "-1",
    "0",
    "1" * 25,
    "1e309",
    "NaN",
    "-inf",
    "2026-13",
    "99999999999999-01",
    "0000-00",
    "../../etc/passwd",
    "..",
    ".",
    "%",
    "%%",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "\\",
    "😀" * 40,
    "\u202e\u0301",
    "x" * 20000,
    "true",
    "null",
    "[]",
    "{}",
    "\r\n",
    "on",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffffff",
]
COMMON_NAMES = [
    "csrfmiddlewaretoken",
    "next",
    "action",
    "ids",
    "id",
    "pk",
    "q",
    "sort",
    "order",
    "after",
    "since",
    "have",
    "page",
    "month",
    "kind",
    "token",
    "step",
    "e",
    "o",
    "p",
    "_selected_action",
    "select_across",
    "index",
    "_save",
    "_continue",
    "all",
    "image",
    "file",
    "picture",
    "motions",
    "duration",
    "size",
    "fit",
    "model",
]
RANGES = [
    "bytes=0-",
    "bytes=-0",
    "bytes=0-0",
    "bytes=5-1",
    "bytes=" + "9" * 5000 + "-",
    "bytes=-" + "9" * 5000,
    "bytes=0-" + "9" * 5000,
    "bytes=0-1,2-3",
    "bytes=abc",
    "items=0-1",
    "bytes=-",
    "",
]
METHODS = ["GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE"]
SWEEPING = [  # each in turn in every field a view reads
    "9" * 5000,
    "99999999999999-01",
    "-1",
    "../../etc/passwd",
    "😀\u202e' OR '1'='1" * 100,
]


def field_names():
    """Every field of the studio's forms, every name its views read off request.GET/POST/FILES directly
    (`.get("name")`, `.getlist("name")`, `["name"]`), and a fixed list of common ones."""
    names = set(COMMON_NAMES)
    pending = list(forms.BaseForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.split(".")[0] in APPS:
            names.update(getattr(form, "base_fields", {}))
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            names.update(_request_keys(ast.parse(path.read_text())))
    return sorted(names)


def _request_keys(tree):
    for node in ast.walk(tree):
        target, key = None, None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            target, key = node.func.value, node.args[0]
        elif isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        if (
            isinstance(target, ast.Attribute)
            and target.attr in {"GET", "POST", "FILES"}
            and isinstance(key, ast.Constant)
            and isinstance(key.value, str)
        ):
            yield key.value


# The routes


def routes(patterns=None, chain=()):
    """(name, [pattern of each level]) for every route the resolver knows."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, chain + (entry.pattern,))
        elif isinstance(entry, URLPattern):
            levels = chain + (entry.pattern,)
            yield "".join(str(p) for p in levels), list(levels), entry.callback


ROUTES = sorted(routes(), key=lambda r: r[0])
NAMES = field_names()  # once the routes have imported every view and form


@functools.cache  # the same for every persona: each walk would parse each module again for each of its views
def names_read_by(view):
    """The names one view may read: the names in its own source, the request.GET/POST keys of its module
    (its helpers are there), and the fields of the forms it names."""
    view = inspect.unwrap(getattr(view, "view_class", view))
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(view)))
        names = set(_module_request_keys(inspect.getmodule(view)))
    except (OSError, TypeError, SyntaxError):  # no source, or a file changed since it was imported
        return ()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in NAMES:
            names.add(node.value)
        if isinstance(node, ast.Name | ast.Attribute):
            found = getattr(inspect.getmodule(view), getattr(node, "id", None) or node.attr, None)
            if isinstance(found, type) and issubclass(found, forms.BaseForm):
                names.update(found.base_fields)
    form_class = getattr(view, "form_class", None)
    if isinstance(form_class, type) and issubclass(form_class, forms.BaseForm):
        names.update(form_class.base_fields)
    return tuple(sorted(names))


@functools.cache
def _module_request_keys(module):
    return tuple(_request_keys(ast.parse(inspect.getsource(module))))


def segment(pattern, values):
    """A strategy for the URL text one level of a route matches."""
    if not isinstance(pattern, RoutePattern):
        regex = pattern.regex.pattern
        return st.from_regex(regex.lstrip("^").rstrip("$").replace("\\Z", "") + "\\Z", fullmatch=True).map(
            lambda s: quote(s, safe="/")
        )
    route = str(pattern)
    parts = []
    for _name, converter in pattern.converters.items():
        placeholder = route[route.index("<") : route.index(">") + 1]
        before, route = route.split(placeholder, 1)
        parts.append(st.just(before))
        parts.append(value_for(converter, values).map(lambda v: quote(v, safe="")))
    parts.append(st.just(route))
    return st.tuples(*parts).map("".join)


def concrete_path(levels, values, i):
    """The route with the i-th of the owner's values of each kind in its parameters, or None."""
    path = "/"
    for pattern in levels:
        if not isinstance(pattern, RoutePattern):
            if not pattern.regex.fullmatch(""):
                return None
            continue
        route = str(pattern)
        for _name, converter in pattern.converters.items():
            kind = {converters.UUIDConverter: "uuid", converters.IntConverter: "int"}.get(type(converter), "str")
            placeholder = route[route.index("<") : route.index(">") + 1]
            route = route.replace(placeholder, quote(values[kind][i % len(values[kind])], safe=""), 1)
        path += route
    return path


def explicit_requests(levels, values, names):
    """Every name the view reads set to one nasty value at a time, on a real object of the owner's, with
    the nastiest headers: what a handful of random examples might miss."""
    requests = []
    for i, value in enumerate(SWEEPING):
        path = concrete_path(levels, values, i)
        if path is not None:
            fields = {name: [value] for name in names}
            requests.append(
                {
                    "path": path,
                    "method": "GET" if i % 2 else "POST",
                    "query": fields,
                    "form": fields,
                    "encoding": "urlencoded",
                    "headers": {
                        "range": RANGES[i % len(RANGES)],
                        "hx-request": "true",
                        "x-poller-seen": value[:100],
                    },
                }
            )
    return requests


def value_for(converter, values):
    if isinstance(converter, converters.UUIDConverter):
        return st.one_of(st.sampled_from(values["uuid"]), st.uuids().map(str))
    if isinstance(converter, converters.IntConverter):
        return st.one_of(st.sampled_from(values["int"]), st.integers(0, 10**40).map(str), st.just("9" * 5000))
    hostile = st.one_of(st.sampled_from(NASTY + NUL), text(30))
    if isinstance(converter, converters.PathConverter):
        return st.one_of(st.sampled_from(values["str"]), hostile, st.just("../" * 5 + "etc/passwd"))
    return st.one_of(st.sampled_from(values["str"]), hostile.filter(lambda s: s and "/" not in s))


def text(max_size):
    return st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=max_size)


def latin1(max_size):
    return st.text(st.characters(max_codepoint=255, exclude_characters="\x00"), max_size=max_size)


# The requests


def hostile_value(values):
    real = values["str"] + values["uuid"] + values["int"]
    return st.one_of(st.sampled_from(NASTY), text(40), st.sampled_from(real))


def hostile_fields(values, names):
    pick = st.sampled_from(names) | st.sampled_from(NAMES) if names else st.sampled_from(NAMES)
    return st.dictionaries(pick, st.lists(hostile_value(values), min_size=1, max_size=3), max_size=6)


def hostile_headers():
    return st.fixed_dictionaries(
        {},
        optional={
            "range": st.one_of(st.sampled_from(RANGES), latin1(30)),
            "hx-request": st.sampled_from(["true", "false", ""]),
            "hx-target": latin1(30),
            "hx-trigger": latin1(30),
            "hx-current-url": st.one_of(st.just("http://testserver/" + "a" * 5000), latin1(30)),
            "hx-history-restore-request": st.sampled_from(["true", "x"]),
            "x-poller-seen": st.one_of(st.sampled_from(["", "x" * 5000, "a.b.c", "%00"]), latin1(60)),
            "cookie_junk": st.one_of(
                st.sampled_from(
                    [
                        "sessionid=x",
                        "sessionid=" + "a" * 5000,
                        "csrftoken=" + "b" * 5000,
                        "=;;=",
                        "sessionid=;",
                    ]
                ),
                latin1(40),
            ),
            "if-none-match": latin1(20),
            "if-modified-since": st.sampled_from(["", "junk", "Sat, 01 Jan 99999 00:00:00 GMT"]),
            "accept-language": st.sampled_from(["", "x" * 500, "*;q=junk", "zz-ZZ"]),
        },
    )


def requests_for(levels, values, names):
    return st.fixed_dictionaries(
        {
            "path": st.tuples(*(segment(p, values) for p in levels)).map(lambda parts: "/" + "".join(parts)),
            "method": st.sampled_from(METHODS),
            "query": hostile_fields(values, names),
            "form": hostile_fields(values, names),
            "headers": hostile_headers(),
            "encoding": st.sampled_from(["multipart", "urlencoded", "multipart-with-file", "json"]),
        }
    )


def send(client, request):
    headers = dict(request["headers"])
    junk = headers.pop("cookie_junk", None)
    if junk is not None:
        own = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
        headers["cookie"] = f"{own}; {junk}" if own else junk
    url = request["path"]
    if request["query"]:
        url += "?" + urlencode(request["query"], doseq=True)
    method = request["method"]
    if method in ("GET", "HEAD", "DELETE"):
        return client.generic(method, url, headers=headers)
    form = request["form"]
    if request["encoding"] == "json":
        return client.generic(method, url, json.dumps(form), "application/json", headers=headers)
    if request["encoding"] == "urlencoded":
        return client.generic(
            method, url, urlencode(form, doseq=True), "application/x-www-form-urlencoded", headers=headers
        )
    data = {k: v for k, v in form.items()}
    if request["encoding"] == "multipart-with-file":
        for name in ("image", "picture", "file"):
            data[name] = SimpleUploadedFile("../\u202ephoto.png", b"\x89PNG\r\n\x1a\n\x00junk", "image/png")
    if method == "POST":
        return client.post(url, data, headers=headers)
    return client.generic(method, url, urlencode(form, doseq=True), headers=headers)


# Whose data


def studio_models():
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.app_label in APPS + ("sandbox",)]


def owned_rows(users):
    """Every row of the studio's tables that belongs to these users, directly or through a row of theirs."""
    snapshot, owned = {}, {}
    models = studio_models()
    for model in models:
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is User:
                rows = model.objects.filter(**{f"{field.name}__in": users})
                owned.setdefault(model, set()).update(rows.values_list("pk", flat=True))
                snapshot[f"{model.__name__}.{field.name}"] = list(rows.order_by("pk").values())
    for model in models:
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in owned and field.related_model is not model:
                rows = model.objects.filter(**{f"{field.name}__in": owned[field.related_model]})
                snapshot[f"{model.__name__}.{field.name}"] = list(rows.order_by("pk").values())
    snapshot["User"] = list(User.objects.filter(pk__in=[u.pk for u in users]).order_by("pk").values())
    return snapshot


def changes(before, after):
    return sorted(key for key in before if before[key] != after[key])


# The walk


@pytest.fixture
def world(owner, outsider, settings, tmp_path, queue):
    """The owner's things, of every kind a route can name."""
    settings.MEDIA_ROOT = tmp_path / "media"
    shared = make_video(owner, prompt="A lighthouse the owner shares")
    sharing.share(shared, show_prompt=False, in_gallery=True)
    shared.refresh_from_db()
    collection = Collection.objects.create(user=owner, name="Coast")
    private = make_video(owner, prompt="A lighthouse the owner keeps", collection=collection)
    picture = pictures.keep(owner, Image.new("RGB", (200, 200), "blue"), Picture.UPLOAD)
    running = make_generation(owner, status=Generation.Status.SUBMITTED, input_picture=picture)
    saved = SavedPrompt.objects.create(user=owner, text="A fox in the snow")
    draft = Draft.objects.create(user=owner, picture=picture)
    user_logged_in.disconnect(dispatch_uid="update_last_login")  # logging a persona in again writes nothing
    health.beat()  # a cluster is running, so /healthz/ answers 200 (its 503 says a part is down)
    yield {
        "uuid": [str(x.pk) for x in (shared, private, running, picture, draft)],
        "int": [str(x.pk) for x in (saved, collection, owner, outsider)],
        "str": [
            shared.share_token,
            owner.username,
            "thumb",
            "image",
            "picture",
            "motion",
            "settings",
            "review",
            pictures.signed_token(running),
            "MQ",
            "set-password",
        ],
    }
    user_logged_in.connect(update_last_login, dispatch_uid="update_last_login")


def walk(client, persona, values, watched, only=""):
    failures = []
    before = owned_rows(watched)
    tables = {model._meta.db_table for model in studio_models()}
    for route, levels, view in ROUTES:
        if only not in route:
            continue
        names = names_read_by(view)
        strategy = requests_for(levels, values, names)
        # Admin sends everyone but staff to its log-in page before any of its views runs: one example shows it.
        shallow = route.startswith("admin/") and not getattr(persona, "is_staff", False)
        examples = 1 if shallow else EXAMPLES_PER_ROUTE
        explicit = [] if shallow else explicit_requests(levels, values, names)

        def check(request):
            if persona is None:
                client.cookies.clear()
            elif client.session.get("_auth_user_id") != str(persona.pk):  # a request may have logged it out
                client.force_login(persona)
            try:
                with transaction.atomic():
                    response = send(client, request)
                    allowed = response.get("Allow", "").split(",")[0].strip()
                    if response.status_code == 405 and allowed and request in explicit:  # the method it takes  # noqa: B023 (called within the same turn of the loop)
                        request = dict(request, method=allowed)
                        response = send(client, request)
            except Exception as error:
                raise AssertionError(f"{request['method']} {request['path'][:120]} raised {error!r:.300}") from error
            status = response.status_code
            assert status < 500, f"{request['method']} {request['path'][:120]} answered {status}"

        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=FIXED_SEED,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def one_route(request):
            check(request)

        connection.queries_log.clear()  # it keeps the last 9,000 only: counted from empty, none is missed
        with CaptureQueriesContext(connection) as queries:
            try:
                for request in explicit:
                    check(request)
                one_route()
            except Exception as error:
                cause = error.__cause__ or error
                frames = traceback.extract_tb(cause.__traceback__)
                where = [f for f in frames if f.filename.startswith(str(ROOT)) and ".venv" not in f.filename][-3:]
                failures.append(f"{route}: {str(error)[:300]}\n" + "".join(traceback.format_list(where)))
        if any(_writes_to(query["sql"], tables) for query in queries):  # the snapshot only when it may differ
            after = owned_rows(watched)
            if changed := changes(before, after):
                failures.append(f"{route}: changed {changed} of someone else's")
            before = after
    return failures


def _writes_to(sql, tables):
    return sql.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"} and any(
        f'"{table}"' in sql for table in tables
    )


def test_the_walk_covers_every_route():
    names = {route for route, _, _ in ROUTES}
    assert {"admin/", "animate/<uuid:pk>/upload/", "s/<str:token>/video.mp4", "accounts/usage/"} <= names
    assert any(route.startswith("pixapi-sandbox/") for route in names) == apps.is_installed("sandbox")
    assert {"prompt", "month", "ids", "email", "password"} <= set(NAMES)


@pytest.mark.django_db
def test_nobody_meets_no_5xx_and_changes_nothing(world, owner, outsider):
    failures = walk(Client(raise_request_exception=True), None, world, [owner, outsider])
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_another_creator_meets_no_5xx_and_changes_nothing_of_the_owners(world, owner, outsider):
    failures = walk(Client(raise_request_exception=True), outsider, world, [owner])
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_the_owner_meets_no_5xx_and_changes_nothing_of_anyone_elses(world, owner, outsider):
    failures = walk(Client(raise_request_exception=True), owner, world, [outsider])
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_staff_meet_no_5xx_in_admin_and_the_staff_views(world, operator):
    """Admin and the staff views (a creator's pages are walked above). Staff may change what they see: the
    walk only asks that no hostile request of theirs ends in a 5xx."""
    failures = walk(Client(raise_request_exception=True), operator, world, [], only="admin")
    assert not failures, "\n\n".join(failures)
