import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accounts.models import User

ROOT = Path(__file__).resolve().parent.parent


def pytest_terminal_summary(terminalreporter):
    """Said here, where the main process sees it: with pytest-xdist the deselecting happens in the workers."""
    from django.conf import settings

    if not (settings.DATABASE_IS_POSTGRES and settings.REDIS_URL):
        terminalreporter.write_line(
            "The multi-cluster tests (tests/scale/) and those of the poller's copy of the change marks need "
            "DATABASE_URL=postgres://... and REDIS_URL; deselected on this run (CI's second pass runs them)"
        )


@pytest.fixture(autouse=True)
def own_cache(settings, tmp_path_factory):
    """A cache of this test's own (sessions and change marks), shared with the processes it
    starts through cache_env(): a key prefix of its own, and on disk a folder of this run's."""
    import uuid

    cache = dict(settings.CACHES["default"], KEY_PREFIX=f"test-{uuid.uuid4().hex[:12]}")
    if cache["BACKEND"].endswith("FileBasedCache"):
        cache["LOCATION"] = str(tmp_path_factory.getbasetemp() / "cache")
    settings.CACHES = {"default": cache}


def cache_env():
    """The environment that gives another process the cache this test uses."""
    from django.conf import settings

    cache = settings.CACHES["default"]
    env = {"CACHE_KEY_PREFIX": cache["KEY_PREFIX"]}
    if cache["BACKEND"].endswith("FileBasedCache"):
        env["CACHE_DIR"] = str(cache["LOCATION"])
    return env


@pytest.fixture(scope="session", autouse=True)
def flushes_keep_content_types():
    """A transactional test ends by emptying every table, and Django then makes the content types
    and permissions again (a fifth of a second per test, more on a busy machine). They are the same
    in every test of a run, so those two tables are left as the migrations made them instead."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style
    from django.db import connections
    from django.test import TransactionTestCase

    kept = {ContentType._meta.db_table, Permission._meta.db_table}

    def flush(test_case):
        for name in test_case._databases_names(include_mirrors=False):
            connection = connections[name]
            tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
            connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), sorted(set(tables) - kept)))

    original = TransactionTestCase._fixture_teardown
    TransactionTestCase._fixture_teardown = flush
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture(autouse=True)
def catalog(request):
    """The seeded model catalog and plans, for every test that uses the database (a transactional
    test empties the tables when it ends, migrations' data included)."""
    if "django_db" not in request.keywords and not {"db", "transactional_db"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    from accounts.models import Plan
    from accounts.plans import seed_plans
    from catalog.models import CatalogModel
    from catalog.seed import seed_catalog

    seed_catalog(CatalogModel)
    seed_plans(Plan, CatalogModel)


def _is_transactional(request):
    marker = request.node.get_closest_marker("django_db")
    return "transactional_db" in request.fixturenames or (
        marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )


def with_credits(user, amount=1000, plan="pro"):
    """A creator whose plan and balance stay out of the way of tests about other things
    (tests/accounts/ try the limits)."""
    from accounts import credits
    from accounts.models import Plan

    user.plan = Plan.objects.get(slug=plan)
    user.save(update_fields=["plan"])
    credits.grant(user, amount, description="Test credits")
    return user


def rerun_data_migration(app_label, name):
    """Runs a migration's data steps again on the test database: a transactional test that ran
    earlier in this process emptied the tables, and the rows that migrate made with them."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection)
    migration = loader.get_migration(app_label, name)
    steps = [op for op in migration.operations if hasattr(op, "code")]
    assert steps, f"{app_label}.{name} has no data steps"
    apps = loader.project_state((app_label, name), at_end=False).apps  # the models as that migration knew them
    for step in steps:
        step.code(apps, None)  # the studio's data steps write rows and never use the schema editor


def verified():
    """For create_user(): an address verified a while ago (tests/accounts/ try the unverified)."""
    from django.utils import timezone

    return {"email_verified_at": timezone.now()}


@pytest.fixture
def owner(db):
    return with_credits(
        User.objects.create_user(
            username="owner",
            email="owner@example.com",
            password="pw-owner-123",
            display_name="Olive Owner",
            **verified(),
        )
    )


@pytest.fixture
def outsider(db):
    return with_credits(
        User.objects.create_user(
            username="outsider",
            email="outsider@example.com",
            password="pw-outsider-123",
            display_name="Oscar Outsider",
            **verified(),
        )
    )


@pytest.fixture
def operator(db):
    return User.objects.create_user(
        username="operator",
        email="operator@example.com",
        password="pw-operator-123",
        is_staff=True,
        is_superuser=True,
        **verified(),
    )


@pytest.fixture
def sandbox_url(live_server, settings):
    """The sandbox served by a real HTTP server, and the studio pointed at it. The sweeper looks at a
    video sooner and more often than in production, as the sandbox's tasks are short here. The first
    look must come after the sandbox's queued tenth of a task's time (here, tasks up to 10 s): one
    that sees no progress waits half the model's usual time (30 s for Wan) for the next."""
    url = f"{live_server.url}/pixapi-sandbox"
    settings.PIXAPI_BASE_URL = url
    settings.SITE_URL = live_server.url
    settings.POLL_FIRST_SECONDS = 1.0
    settings.POLL_MIN_SECONDS = 0.2
    return url


def database_url():
    """The URL of the database this test run uses, for processes the test starts."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Cluster:
    """A real django-q2 cluster (manage.py cluster) in its own process group, on the test database."""

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = log_path
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "cluster"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self):
        """Kills the cluster and all its workers at once, as a crash or an OOM kill would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log(self):
        return Path(self.log_path).read_text(errors="replace")[-4000:]


@pytest.fixture
def queue(monkeypatch):
    """Stands in for the django-q2 broker: records what would be enqueued, so a test can run the task
    functions itself, one step at a time. Each call is (the task function's name, its arguments)."""
    from generations import taskqueue

    calls = []
    monkeypatch.setattr(taskqueue, "enqueue", lambda task, *args: calls.append((task.rpartition(".")[2], args)))
    return calls


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def cluster(sandbox_url, live_server, settings, media_root, tmp_path, transactional_db):
    from django_q.brokers import get_broker

    get_broker().purge_queue()  # nothing left over from another run on a shared Redis
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        **cache_env(),
        "PIXAPI_BASE_URL": sandbox_url,
        "SITE_URL": live_server.url,
        "MEDIA_ROOT": str(media_root),
        "Q_WORKERS": "3",
        "Q_POLL_SECONDS": "0.1",
        "POLL_FIRST_SECONDS": str(settings.POLL_FIRST_SECONDS),
        "POLL_MIN_SECONDS": str(settings.POLL_MIN_SECONDS),
    }
    handle = Cluster(env, tmp_path / "cluster.log").start()
    yield handle
    handle.kill()  # a graceful stop would wait for the workers' tasks to finish


def verification_link(mailbox, to):
    """The path of the newest link to verify `to` in the mail sent (the console's, in development)."""
    for message in reversed(mailbox):
        if message.to == [to] and (found := re.search(r"https?://[^/\s]+(/accounts/verify/[^/\s]+/)", message.body)):
            return found.group(1)
    raise AssertionError(f"No link to verify {to} in {len(mailbox)} mail(s)")


def wait_for(predicate, timeout=60, every=0.25, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"Timed out after {timeout} s waiting for {message}")
