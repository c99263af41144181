"""What the sections of `make bench` share: the stack they run on (gunicorn serving the studio and its
sandbox, a django-q2 cluster, a scratch database), benchmark creators and their sessions, counting a
request's queries, percentiles and free ports."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"  # the 200 MB video, made once and kept


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class Stack:
    """gunicorn (the studio and its sandbox) and one django-q2 cluster, on a scratch database."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3"),
            "MEDIA_ROOT": str(workdir / "media"),
            "PIXAPI_SANDBOX_DIR": str(workdir / "sandbox"),
            "CACHE_DIR": str(workdir / "cache"),
            "CACHE_KEY_PREFIX": f"bench-{os.getpid()}",
            "SITE_URL": self.url,
            "BIND": f"127.0.0.1:{self.port}",
            "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60"),  # as make serve runs it
            "WEB_ACCESS_LOG": "",
            # One worker of four threads, never recycled: both views of a ratio get the same core
            # (wrk has the other), not whatever share of two workers wrk's connections happen to land on.
            "WEB_CONCURRENCY": "1",
            "WEB_MAX_REQUESTS": "0",
            # A development stack: its own sandbox and a key of its own (production settings refuse both gaps).
            "PIXAPI_SANDBOX": "1",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "STATIC_MANIFEST": "0",
            "LOG_LEVEL": "WARNING",
            "TIMING_LOG": str(workdir / "timing.log"),  # the sweeper's timing lines (the sweeper section)
        }
        for name in ("PIXAPI_API_KEY", "PIXAPI_BASE_URL", "MEDIA_S3_BUCKET"):
            self.env.pop(name, None)
        self.workdir = workdir
        self.processes = []

    def manage(self, *args):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def start(self):
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("createcachetable")
        log = open(self.workdir / "stack.log", "ab")
        for command in (["-m", "gunicorn", "config.wsgi"], ["manage.py", "cluster"]):
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, *command],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/ping/").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"The studio did not start; see {self.workdir / 'stack.log'}")

    def stop(self):
        """Stops gunicorn and the cluster with all their workers (a running sweeper is not waited for)."""
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(10)

    def django(self):
        """This process, set up on the stack's database, for the ORM and the test client."""
        os.environ.update(self.env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()


def bench_user(email, plan="pro"):
    from accounts import credits
    from accounts.models import Plan, User

    user, _ = User.objects.get_or_create(
        email=email,
        defaults={"username": email.split("@")[0], "plan": Plan.objects.get(slug=plan)},
    )

    credits.grant(user, 10_000_000, reason="A benchmark creator never runs out")
    return user


def session_cookie(user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


def logged_in_client(stack, user):
    """An httpx client holding a session for `user`, as a browser tab would."""
    name, value = session_cookie(user)
    return httpx.Client(base_url=stack.url, cookies={name: value}, headers={"HX-Request": "true"})


def count_queries(user, path, cookie=None, headers=None):
    """Queries one request makes, through Django's test client in this process (with the session
    `cookie` when given, else a new one)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_HX_REQUEST="true")
    if cookie:
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    else:
        client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers=headers)
    assert response.status_code in (200, 204), (path, response.status_code)
    return len(captured.captured_queries), response
