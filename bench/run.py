"""The studio's benchmarks: `make bench`. Figures go to bench/results.json and a table is printed.

Each figure is measured on real parts: gunicorn serving the studio and its sandbox over loopback,
a real django-q2 cluster, a throwaway SQLite database (or DATABASE_URL when set).

Sections:
  sixty_second_generation  one generation that the sandbox takes 60 s to make, watched the way the
                           dashboard watches it (its poller, once a second). Counts the Pixapi calls
                           the studio made for it, and how long after the sandbox finished the poller
                           first answered with the playable video.
"""

import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results.json"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
            "SITE_URL": self.url,
            "FAST_PASSWORD_HASHER": "1",
            "STATIC_MANIFEST": "0",
            "LOG_LEVEL": "WARNING",
        }
        self.env.pop("PIXAPI_API_KEY", None)
        self.workdir = workdir
        self.processes = []

    def manage(self, *args):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def start(self):
        self.manage("migrate", "--noinput", "-v", "0")
        log = open(self.workdir / "stack.log", "ab")
        self.processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "studio.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "2",
             "--threads", "8", "--access-logfile", "-"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        ))
        self.processes.append(subprocess.Popen(
            [sys.executable, "manage.py", "cluster"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        ))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz/").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"The studio did not start; see {self.workdir / 'stack.log'}")

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()

    def django(self):
        """This process, set up on the stack's database, for the ORM and the test client."""
        os.environ.update({k: v for k, v in self.env.items() if k not in ("LOG_LEVEL",)})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
        import django

        django.setup()


def logged_in_client(stack, email):
    """An httpx client holding a session for `email`, as a browser tab would."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User

    user = User.objects.get(email=email)
    django_client = Client()
    django_client.force_login(user)
    cookie = django_client.cookies[settings.SESSION_COOKIE_NAME].value
    return httpx.Client(base_url=stack.url, cookies={settings.SESSION_COOKIE_NAME: cookie},
                        headers={"HX-Request": "true"})


def sixty_second_generation(stack):
    from django.utils import timezone

    from accounts.models import User
    from generations.models import CatalogModel, Generation
    from generations.pixapi.sandbox.models import SandboxTask
    from generations.starting import start_generation
    from generations.updates import token

    user, _ = User.objects.get_or_create(email="bench@studio.local", defaults={"username": "bench"})
    since = token(timezone.now())
    gen, _ = start_generation(
        user, model=CatalogModel.objects.get(slug="veo"), prompt="A slow sunrise over the sea [sandbox:seconds=60]",
        duration=4, size="1280x720",
    )
    tab = logged_in_client(stack, user.email)
    shown_at = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # the dashboard's poller: once a second
        answer = tab.get("/generations/poll/", params={"since": since, "have": str(gen.pk)})
        if answer.status_code == 200:
            since = re.search(r'name="since" value="(\d+)"', answer.text).group(1)
            if "<video" in answer.text:
                shown_at = timezone.now()
                break
        time.sleep(1)
    gen.refresh_from_db()
    if shown_at is None:
        raise RuntimeError(f"The generation did not finish: {gen.status} {gen.error_detail}")
    task = SandboxTask.objects.get(pk=gen.pixapi_task_id)
    finished = task.created_at.timestamp() + task.seconds
    # The studio counts its own status calls per generation (the sandbox's counter lives in each
    # gunicorn worker's memory, so it only sees part of the traffic).
    return {
        "pixapi_calls": 1 + gen.polls,
        "status_polls": gen.polls,
        "shown_after_finish_s": round(shown_at.timestamp() - finished, 2),
        "stored_after_finish_s": round(gen.finished_at.timestamp() - finished, 2),
        "status": gen.status,
    }


EXPLAIN = {
    "sixty_second_generation.pixapi_calls":
        "Pixapi calls (one submit plus status polls) for a 60 s generation; limit: under 10.",
    "sixty_second_generation.shown_after_finish_s":
        "Seconds from the sandbox finishing to the dashboard's poller answering with the video; limit: 3.",
}


def main():
    results = {"machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python "
                          f"{platform.python_version()}", "when": datetime.now(UTC).isoformat(timespec="seconds")}
    if RESULTS.exists():
        results = {**json.loads(RESULTS.read_text()), **results}
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as workdir:
        stack = Stack(Path(workdir))
        stack.start()
        try:
            stack.django()
            results["sixty_second_generation"] = sixty_second_generation(stack)
        finally:
            stack.stop()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nResults in {RESULTS.relative_to(ROOT)} ({results['machine']})\n")
    for key, sentence in EXPLAIN.items():
        section, name = key.split(".")
        print(f"  {section + '.' + name:<48} {results[section][name]:>8}   {sentence}")


if __name__ == "__main__":
    main()
