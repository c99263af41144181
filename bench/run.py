"""The studio's benchmarks: `make bench`. Figures go to bench/results.json and a table is printed.

Each figure is measured on real parts: gunicorn serving the studio and its sandbox over loopback
(with gunicorn.conf.py, as `make serve` runs it), a real django-q2 cluster, a throwaway SQLite
database (or DATABASE_URL / REDIS_URL when set). Everything runs on this machine, on loopback,
bounded in count and time.

Sections (`python bench/run.py [section ...]` runs only some; the others keep their last figures):
  poll_endpoint            the dashboard's poller under load (wrk on loopback), as a ratio of a trivial
                           view served by the same gunicorn through the same middleware; its queries.
  sixty_second_generation  one generation the sandbox takes 60 s to make, watched the way the dashboard
                           watches it (its poller, once a second): Pixapi calls, and how long after the
                           sandbox finished the poller first answered with the playable video.
  sweeper                  1,000 generations started through the studio within 30 s (each takes the
                           sandbox 45 to 75 s, so all 1,000 are in flight at once) and tracked by the
                           cluster's own sweeper against the sandbox, timed by the lines it writes to
                           TIMING_LOG (logger studio.timing); the cluster submits and downloads. Polls
                           per second, the lag between a row falling due and its poll, calls per
                           generation, sandbox-finished to stored.
  download                 a 200 MB result (a real H.264 file, served by a plain HTTP server on
                           loopback) downloaded, checked and stored by the worker's own download
                           function in a fresh process: its peak memory growth; on disk and on S3
                           (moto's server) when moto is installed.
  library                  the library page with 10,000 generations: server time and queries, as a
                           ratio of the trivial view.
  queue                    the studio's queue at scale (bench/queue_worker.py, on a scratch database of
                           its own): 2,000 waiting videos from 200 creators behind a valve of 20; the lag
                           from a slot freeing to the dispatcher handing it out (p50, p95), the dispatcher's
                           queries per slot with 200 and with 2,000 waiting, the fairness figure, and
                           whether the database answers its per-model question from the gen_ready index.
  storyboard_export        a storyboard's shots (5 s each, 1280x720 at 24 fps, rendered once by the sandbox
                           and kept in var/bench/storyboard/) stitched into one MP4 by storyboards.stitching
                           in a fresh process (bench/stitch_worker.py): seconds of video written per second
                           of wall time for 6 shots copied as they are (remux) and for the same 6 shots each
                           trimmed by 0.2 s (re-encoded); the worker's peak memory growth re-encoding a 30 s
                           and a 60 s board (it must stay flat, whatever the length).
"""

import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results.json"
CACHE = ROOT / "var" / "bench"  # the 200 MB video, made once and kept
SECTIONS = ["poll_endpoint", "sixty_second_generation", "sweeper", "download", "library"]
SECTIONS.append("export")  # the library export (export section below)
SECTIONS.append("queue")  # the studio's queue at scale (queue section below)
SECTIONS.append("storyboard_export")  # stitching a storyboard (storyboard_export section below)


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
                if httpx.get(f"{self.url}/healthz/").status_code == 200:
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


# Load generation: wrk on loopback, bounded in time.


def wrk(url, headers, seconds=6, connections=8):
    args = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url} answered errors under load:\n{out}")
    return rps


def poll_endpoint(stack):
    from django.utils import timezone

    from generations.models import CatalogModel, Generation
    from generations.updates import token

    user = bench_user("poller@studio.local")
    wan = CatalogModel.objects.get(slug="wan")
    start = timezone.now() - timedelta(minutes=5)  # the running ones well inside their time limit
    rows = []
    for i in range(50):
        status = Generation.Status.RUNNING if i >= 47 else Generation.Status.COMPLETED
        moment = start + timedelta(seconds=i)
        rows.append(
            Generation(
                user=user,
                model=wan,
                prompt=f"A paper lantern drifting, take {i}",
                full_prompt="x",
                duration=4,
                size="1280x720",
                status=status,
                progress=100 if status == Generation.Status.COMPLETED else 40,
                created_at=moment,
                updated_at=moment,
                finished_at=moment if status == Generation.Status.COMPLETED else None,
            )
        )
    Generation.objects.bulk_create(rows)
    before_all = token(start - timedelta(seconds=1))
    before_last = token(start + timedelta(seconds=48.5))
    have = "have=" + ",".join(str(row.pk) for row in rows)  # as the page's poller sends them
    q1, r1 = count_queries(user, f"/generations/poll/?since={before_last}&{have}")
    q50, r50 = count_queries(user, f"/generations/poll/?since={before_all}&{have}")
    assert r1.content.count(b'class="card') >= 1 and r50.content.count(b"generation-") >= 50

    name, value = session_cookie(user)
    headers = {"Cookie": f"{name}={value}", "HX-Request": "true"}
    # "Nothing new" as an open dashboard asks it: with the since and the token its page was given.
    page = httpx.get(f"{stack.url}/", headers={"Cookie": headers["Cookie"]}).text
    since = re.search(r'name="since" value="(\d+)"', page).group(1)
    seen = {**headers, "X-Poller-Seen": re.search(r'"X-Poller-Seen": "([^"]*)"', page).group(1)}
    nothing_new = f"{stack.url}/generations/poll/?since={since}&{have}"
    one_card = f"{stack.url}/generations/poll/?since={before_last}&{have}"
    trivial = f"{stack.url}/healthz/"
    assert httpx.get(nothing_new, headers=seen).status_code == 204
    q0, _ = count_queries(user, nothing_new.removeprefix(stack.url), cookie=value, headers=seen)
    wrk(trivial, headers, seconds=2)  # warm the gunicorn worker
    runs = {"trivial": [], "poll": [], "poll_one_card": []}
    for _ in range(3):  # interleaved, so a slow moment of the machine falls on both alike
        runs["trivial"].append(wrk(trivial, headers, seconds=5))
        runs["poll"].append(wrk(nothing_new, seen, seconds=5))
        runs["poll_one_card"].append(wrk(one_card, headers, seconds=5))
    # Its three "running" videos have no task at the sandbox: gone, they leave the sweeper slot free.
    Generation.objects.filter(user=user).delete()
    baseline = statistics.median(runs["trivial"])
    rps = statistics.median(runs["poll"])
    one = statistics.median(runs["poll_one_card"])
    return {
        "rps": round(rps),
        "baseline_rps": round(baseline),
        "ratio": round(rps / baseline, 2),
        "queries_1_card": q1,
        "queries_50_cards": q50,
        "queries_nothing_new": q0,
        "rps_one_changed_card": round(one),
        "ratio_one_changed_card": round(one / baseline, 2),
        "runs": {name: [round(value) for value in values] for name, values in runs.items()},
        "load": "wrk, 1 thread, 8 connections, 3 x 5 s per URL interleaved, medians; one gunicorn worker "
        "of 4 threads; 204 'nothing new' answers for rps",
    }


# One 60-second generation, watched like the dashboard watches it.


def sixty_second_generation(stack):
    from django.utils import timezone

    from generations.models import CatalogModel
    from generations.starting import start_generation
    from generations.updates import token
    from sandbox.models import SandboxTask

    user = bench_user("bench@studio.local")
    since = token(timezone.now())
    gen, _ = start_generation(
        user,
        model=CatalogModel.objects.get(slug="veo"),
        prompt="A slow sunrise over the sea [sandbox:seconds=60]",
        duration=4,
        size="1280x720",
    )
    tab = logged_in_client(stack, user)
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


# The sweeper with 1,000 generations in flight.


def timing_lines(path, generation_ids):
    """(due, asked) for each status call the sweeper made for these generations, from the lines it
    writes to TIMING_LOG: "poll generation=<id> due=<unix time> at=<unix time>"."""
    wanted = {str(pk) for pk in generation_ids}
    calls = []
    for line in Path(path).read_text().splitlines():
        fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
        if fields.get("generation") in wanted:
            calls.append((float(fields["due"]), float(fields["at"])))
    return calls


def prerender(sandbox_dir, width, height, duration):
    """One real sandbox video, hard-linked as every task's cached result: rendering is Pixapi's work,
    not the studio's, and 1,000 renders would take the two cores away from what is measured."""
    from sandbox import render

    path = Path(sandbox_dir) / f".bench-{width}x{height}-{duration}.mp4"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        render.render_video(str(path), width=width, height=height, duration=duration, prompt="Benchmark", model="wan")
    return path


RAMP_SECONDS = 30  # 1,000 creators press "generate" within half a minute: all in flight from 30 s to 45 s


def sweeper(stack, in_flight=1000):
    from django.conf import settings
    from django.db import close_old_connections

    from generations.models import CatalogModel, Generation
    from generations.starting import start_generation
    from sandbox.models import SandboxTask

    creators = [bench_user(f"sweeper{n}@studio.local") for n in range(in_flight // 10)]  # Pro: 10 at once each
    wan = CatalogModel.objects.get(slug="wan")
    sandbox_dir = Path(settings.PIXAPI_SANDBOX_DIR)
    video = prerender(sandbox_dir, 1280, 720, 2)

    done = threading.Event()
    peak = {"in_flight": 0}
    gens = Generation.objects.filter(user__in=creators)

    def link_results():  # as each task is created at the sandbox, its result is already "rendered"
        linked = set()
        while not done.is_set():
            for task_id in SandboxTask.objects.exclude(pk__in=linked).values_list("pk", flat=True):
                target = sandbox_dir / f"{task_id}.mp4"
                if not target.exists():
                    os.link(video, target)
                linked.add(task_id)
            peak["in_flight"] = max(peak["in_flight"], gens.filter(status__in=Generation.POLLED).count())
            close_old_connections()
            done.wait(0.5)

    started = time.monotonic()
    for i in range(in_flight):  # each queued through the studio's own start; the cluster submits them
        time.sleep(max(0.0, started + i * RAMP_SECONDS / in_flight - time.monotonic()))
        seconds = 45 + (i * 37) % 31  # 45 to 75 s: around the model's typical minute
        start_generation(
            creators[i % len(creators)],
            model=wan,
            duration=2,
            size="1280x720",
            prompt=f"A heron in the reeds, take {i} [sandbox:seconds={seconds}]",
        )
    linker = threading.Thread(target=link_results, daemon=True)
    linker.start()
    deadline = time.monotonic() + 400
    while gens.filter(status__in=Generation.ACTIVE).exists() and time.monotonic() < deadline:
        time.sleep(1)
    elapsed = time.monotonic() - started
    done.set()
    linker.join(5)

    finished = list(
        gens.filter(status=Generation.Status.COMPLETED).values_list("pixapi_task_id", "finished_at", "polls")
    )
    failed = gens.exclude(status=Generation.Status.COMPLETED).count()
    ends = {
        t.pk: t.created_at.timestamp() + t.seconds
        for t in SandboxTask.objects.filter(pk__in=[row[0] for row in finished])
    }
    to_complete = [finished_at.timestamp() - ends[task_id] for task_id, finished_at, _ in finished]
    polls = [row[2] for row in finished]
    calls = timing_lines(stack.env["TIMING_LOG"], gens.values_list("pk", flat=True))
    if not calls:
        raise RuntimeError(f"The sweeper wrote no timing lines to {stack.env['TIMING_LOG']}.")
    lags = [asked - due for due, asked in calls]
    polled_at = sorted(asked for _, asked in calls)
    busy = (polled_at[-1] - polled_at[0]) if len(polled_at) > 1 else 1
    return {
        "in_flight": in_flight,
        "peak_in_flight": peak["in_flight"],
        "polls_per_s": round(len(polled_at) / busy, 1),
        "lag_p50_s": round(percentile(lags, 0.50), 3),
        "lag_p95_s": round(percentile(lags, 0.95), 3),
        "lag_max_s": round(max(lags, default=0), 3),
        "calls_per_generation": round(1 + statistics.mean(polls), 2) if polls else None,
        "finish_to_complete_p50_s": round(percentile(to_complete, 0.50), 2),
        "finish_to_complete_p95_s": round(percentile(to_complete, 0.95), 2),
        "completed": len(finished),
        "not_completed": failed,
        "wall_s": round(elapsed, 1),
        "started_over_s": RAMP_SECONDS,
        "task_seconds": "45 to 75",
    }


# A 200 MB result, downloaded and stored by a fresh worker process.


def big_video(target=200_000_000):
    """A real H.264 MP4 of at least `target` bytes: noise frames, lossless, so nothing shrinks them."""
    import av
    from PIL import Image

    path = CACHE / "result-200mb.mp4"
    if path.exists() and path.stat().st_size >= target:
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    width, height = 1920, 1080
    with av.open(str(tmp), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24, options={"crf": "0", "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        written = 0
        while written < target:
            noise = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
            for packet in stream.encode(av.VideoFrame.from_image(noise)):
                written += packet.size
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.rename(path)
    return path


def serve_folder(folder):
    """A plain HTTP server on loopback for the big file (Pixapi's CDN stand-in)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_moto():
    try:
        import moto  # noqa: F401
    except ImportError:
        return None, None
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/moto-api/", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    import boto3

    boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench"
    ).create_bucket(Bucket="bench-media")
    env = {
        "MEDIA_S3_BUCKET": "bench-media",
        "MEDIA_S3_ENDPOINT_URL": url,
        "MEDIA_S3_REGION": "us-east-1",
        "MEDIA_S3_ACCESS_KEY_ID": "bench",
        "MEDIA_S3_SECRET_ACCESS_KEY": "bench",
    }
    return process, env


def download(stack):
    from django.utils import timezone

    from generations.models import CatalogModel, Generation

    path = big_video()
    server = serve_folder(path.parent)
    user = bench_user("download@studio.local")
    moto, s3_env = start_moto()
    figures = {}
    try:
        for where, extra_env in [("disk", {}), ("s3", s3_env)]:
            if extra_env is None:
                continue
            gen = Generation.objects.create(
                user=user,
                model=CatalogModel.objects.get(slug="wan"),
                prompt=f"A big one ({where})",
                full_prompt="x",
                duration=2,
                size="1920x1080",
                status=Generation.Status.DOWNLOADING,
                progress=100,
                next_poll_at=timezone.now(),
                result_url=f"http://127.0.0.1:{server.server_port}/{path.name}",
                pixapi_task_id=f"bench-{where}",
            )
            out = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "download_worker.py"), str(gen.pk)],
                cwd=ROOT,
                env={**stack.env, **extra_env},
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                raise RuntimeError(f"The download worker failed:\n{out.stderr[-3000:]}")
            figures[where] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.shutdown()
        if moto:
            moto.kill()
    disk = figures["disk"]
    result = {
        "bytes": disk["bytes"],
        "peak_rss_growth_mb": disk["peak_rss_growth_mb"],
        "seconds": disk["seconds"],
        "status": disk["status"],
    }
    if "s3" in figures:
        result.update(
            {
                "s3_peak_rss_growth_mb": figures["s3"]["peak_rss_growth_mb"],
                "s3_seconds": figures["s3"]["seconds"],
                "s3_status": figures["s3"]["status"],
            }
        )
    return result


# The library page with 10,000 generations.


def timed_gets(url, headers, count=60):
    times = []
    with httpx.Client(headers=headers, timeout=30) as client:
        for _ in range(5):
            client.get(url)
        for _ in range(count):
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
    return times


def library(stack, count=10_000):
    from django.urls import reverse
    from django.utils import timezone

    from generations.models import CatalogModel, Generation

    path = reverse("library")
    user = bench_user("library@studio.local")
    wan = CatalogModel.objects.get(slug="wan")
    start = timezone.now() - timedelta(days=200)
    batch = []
    for i in range(count):
        moment = start + timedelta(minutes=25 * i)
        status = Generation.Status.FAILED if i % 20 == 7 else Generation.Status.COMPLETED
        batch.append(
            Generation(
                user=user,
                model=wan,
                prompt=f"Library scene number {i}: a fox in fresh snow",
                full_prompt="x",
                duration=4,
                size="1280x720",
                status=status,
                progress=100,
                created_at=moment,
                updated_at=moment,
                finished_at=moment,
                video=f"videos/bench/{i}.mp4" if status == Generation.Status.COMPLETED else "",
                poster=f"posters/bench/{i}.jpg" if status == Generation.Status.COMPLETED else "",
                video_seconds=4.0,
                video_width=1280,
                video_height=720,
                video_bytes=1_000_000,
            )
        )
        if len(batch) == 1000:
            Generation.objects.bulk_create(batch)
            batch = []
    Generation.objects.bulk_create(batch)
    queries, response = count_queries(user, path)
    name, value = session_cookie(user)
    headers = {"Cookie": f"{name}={value}"}
    page = timed_gets(stack.url + path, headers)
    trivial = timed_gets(stack.url + "/healthz/", headers)
    p50, base = statistics.median(page), statistics.median(trivial)
    return {
        "generations": count,
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile(page, 0.95), 1),
        "baseline_p50_ms": round(base, 1),
        "ratio": round(p50 / base, 1),
        "queries": queries,
        "page_bytes": len(response.content),
    }


# The library export: 200 videos as one ZIP, streamed.


def export(stack, count=200):
    """A creator's 200 videos (each its own real MP4 and poster on disk) exported through the view in a
    fresh process (bench/export_worker.py): its peak memory growth while streaming, and time per video."""
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from catalog.models import CatalogModel
    from generations.models import Collection, Generation
    from lib import media
    from sandbox import render

    clip = Path(stack.workdir) / "export-clip.mp4"
    render.render_video(str(clip), width=1280, height=720, duration=4, prompt="Export scene", model="wan")
    info, poster = media.probe_video(str(clip))
    user = bench_user("export@studio.local")
    warm = Collection.objects.create(user=user, name="Warm-up")
    wan = CatalogModel.objects.get(slug="wan")
    folder = Path(settings.MEDIA_ROOT) / "videos" / "bench-export"
    folder.mkdir(parents=True, exist_ok=True)
    poster_name = default_storage.save("posters/bench-export/poster.jpg", ContentFile(poster))
    now = timezone.now()
    rows = []
    for i in range(count):
        target = folder / f"{i}.mp4"
        shutil.copyfile(clip, target)  # a file of its own each: the export reads every byte of 200 videos
        rows.append(
            Generation(
                user=user,
                model=wan,
                prompt=f"Export scene number {i}",
                full_prompt="x",
                duration=4,
                size="1280x720",
                status=Generation.Status.COMPLETED,
                progress=100,
                created_at=now - timedelta(minutes=i),
                finished_at=now,
                video=f"videos/bench-export/{i}.mp4",
                poster=poster_name,
                video_bytes=info["bytes"],
                video_seconds=info["seconds"],
                video_width=info["width"],
                video_height=info["height"],
                collection=warm if i == 0 else None,  # the worker warms up on a one-video collection
            )
        )
    Generation.objects.bulk_create(rows)
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "export_worker.py"), str(user.pk), str(warm.pk)],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"The export worker failed:\n{out.stderr[-3000:]}")
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "videos": count,
        "video_bytes": info["bytes"],
        **figures,
        "ms_per_video": round(figures["seconds"] * 1000 / count, 1),
        "mb_per_s": round(figures["zip_bytes"] / 1e6 / max(figures["seconds"], 0.001), 1),
    }


# The studio's queue: 2,000 waiting videos from 200 creators behind a valve of 20.


def scratch_database(stack, suffix):
    """(DATABASE_URL, drop) of an empty database beside the stack's: a SQLite file in its folder, or a
    PostgreSQL database named after the stack's own (created here, dropped by `drop`)."""
    url = stack.env["DATABASE_URL"]
    if not url.startswith("postgres"):
        path = stack.workdir / f"{suffix}.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{suffix}"

    def execute(sql):
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{name}"')
    execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), lambda: execute(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


def queue(stack, creators=200, per_creator=10, cap=20, slots=500):
    """The dispatcher at scale, in a fresh process on a scratch database (no cluster on it, so no sweeper
    hands slots out behind its back): see bench/queue_worker.py for what is measured and how."""
    url, drop = scratch_database(stack, "queue")
    env = {**stack.env, "DATABASE_URL": url}
    env.pop("REDIS_URL", None)  # its tasks go to the scratch database's broker table, where nobody takes them
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "queue_worker.py"), *map(str, (creators, per_creator, cap, slots))],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        drop()
    if out.returncode != 0:
        raise RuntimeError(f"The queue worker failed:\n{out.stderr[-3000:]}")
    figures = json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])
    small, large = figures["small"], figures["large"]
    return {
        "creators": creators,
        "waiting": large["waiting"],
        "cap": cap,
        "slots_handed_out": large["slots"],
        "lag_p50_ms": large["lag_p50_ms"],
        "lag_p95_ms": large["lag_p95_ms"],
        "lag_max_ms": large["lag_max_ms"],
        "fairness_excess_slots": large["fairness_excess_slots"],
        "queries_per_slot_200_waiting": small["queries_per_slot"],
        "queries_per_slot_2000_waiting": large["queries_per_slot"],
        "lag_p95_ms_200_waiting": small["lag_p95_ms"],
        "head_query_uses_gen_ready": figures["head_query_uses_gen_ready"],
        "head_query_plan": figures["head_query_plan"],
    }


# A storyboard stitched into one video: 6 and 12 shots of 5 s at 1280x720.


def storyboard_shots(count=6, width=1280, height=720, seconds=5):
    """The sandbox's own videos, rendered once and kept: each shot a scene of its own."""
    from sandbox import render

    folder = CACHE / "storyboard"
    folder.mkdir(parents=True, exist_ok=True)
    shots = []
    for i in range(count):
        path = folder / f"shot-{i}-{width}x{height}-{seconds}s.mp4"
        if not path.exists():
            tmp = path.with_suffix(".tmp.mp4")
            render.render_video(
                str(tmp), width=width, height=height, duration=seconds, prompt=f"Storyboard shot {i}", seed=i
            )
            tmp.rename(path)
        shots.append(str(path))
    return shots


def stitch_in_worker(workdir, parts, width=1280, height=720):
    warm = CACHE / "storyboard" / "warm.mp4"
    if not warm.exists():
        from sandbox import render

        render.render_video(str(warm), width=width, height=height, duration=1, prompt="Warm-up")
    job = {"parts": parts, "out": str(workdir / "board.mp4"), "width": width, "height": height, "warm": str(warm)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "stitch_worker.py"), json.dumps(job)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"The stitch worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def storyboard_export(stack):
    """Remux and re-encode speed for a 30 s board; the re-encoding worker's memory for 30 s and 60 s."""
    shots = storyboard_shots()
    workdir = Path(stack.workdir)
    remux = stitch_in_worker(workdir, [{"path": shot} for shot in shots])
    trimmed = [{"path": shot, "head": 0.2} for shot in shots]
    reencode = stitch_in_worker(workdir, trimmed)
    long_board = stitch_in_worker(workdir, trimmed * 2)
    if (remux["mode"], reencode["mode"], long_board["mode"]) != ("remux", "reencode", "reencode"):
        raise RuntimeError(f"Unexpected modes: {remux['mode']}, {reencode['mode']}, {long_board['mode']}")
    return {
        "shots": len(shots),
        "shot": "5 s, 1280x720, 24 fps",
        "remux_video_s_per_s": remux["video_s_per_s"],
        "remux_video_s": remux["video_s"],
        "remux_wall_s": remux["wall_s"],
        "reencode_video_s_per_s": reencode["video_s_per_s"],
        "reencode_video_s": reencode["video_s"],
        "reencode_wall_s": reencode["wall_s"],
        "reencode_encoder": reencode["encoder"],
        "peak_rss_growth_mb_30s": reencode["peak_rss_growth_mb"],
        "peak_rss_growth_mb_60s": long_board["peak_rss_growth_mb"],
        "remux_peak_rss_growth_mb": remux["peak_rss_growth_mb"],
        "video_s_60s": long_board["video_s"],
        "wall_s_60s": long_board["wall_s"],
    }


EXPLAIN = [
    ("poll_endpoint", "rps", "The poller's 'nothing new' answers per second under load (wrk, loopback).", None),
    (
        "poll_endpoint",
        "ratio",
        "Poller rps over a trivial view in the same server and middleware; limit: at least 0.7.",
        lambda v: v >= 0.7,
    ),
    (
        "poll_endpoint",
        "queries_nothing_new",
        "Queries for a 'nothing new' poll: its token is checked against the "
        "creator's change mark in the cache, without the session; limit: 0.",
        lambda v, r: v == 0,
    ),
    ("poll_endpoint", "queries_1_card", "Queries for a poll answering one changed card.", None),
    (
        "poll_endpoint",
        "queries_50_cards",
        "Queries for fifty changed cards; limit: the same as for one.",
        lambda v, r: v == r["poll_endpoint"]["queries_1_card"],
    ),
    ("sweeper", "polls_per_s", "Pixapi status calls per second by one sweeper, 1,000 generations in flight.", None),
    ("sweeper", "lag_p50_s", "Median seconds between a row falling due and its poll.", None),
    ("sweeper", "lag_p95_s", "95th percentile of that lag; limit: under 1 s.", lambda v: v < 1),
    ("sweeper", "calls_per_generation", "Pixapi calls (submit + polls) per finished generation.", None),
    ("sweeper", "finish_to_complete_p95_s", "Seconds from the sandbox finishing to the video stored (p95).", None),
    (
        "sixty_second_generation",
        "pixapi_calls",
        "Pixapi calls for one 60 s generation; limit: under 10.",
        lambda v: v < 10,
    ),
    (
        "sixty_second_generation",
        "shown_after_finish_s",
        "Seconds from the sandbox finishing to the dashboard showing the video; limit: 3.",
        lambda v: v <= 3,
    ),
    ("library", "p50_ms", "Median server time of the library page with 10,000 generations.", None),
    ("library", "p95_ms", "95th percentile of that time.", None),
    ("library", "ratio", "Library median over the trivial view's median.", None),
    ("library", "queries", "Queries for one library page.", None),
    (
        "download",
        "peak_rss_growth_mb",
        "Worker memory growth storing a 200 MB result on disk; limit: 32 MB.",
        lambda v: v < 32,
    ),
    ("download", "s3_peak_rss_growth_mb", "The same, stored on S3 (moto's server); limit: 32 MB.", lambda v: v < 32),
]
EXPLAIN += [
    (
        "export",
        "peak_rss_growth_mb",
        "Memory growth streaming a ZIP of 200 videos through the view; limit: 32 MB.",
        lambda v: v < 32,
    ),
    ("export", "ms_per_video", "Milliseconds per video in that ZIP (read, hashed, written; its sidecar).", None),
    ("export", "first_byte_s", "Seconds before the ZIP's first bytes leave.", None),
]


EXPLAIN += [
    (
        "queue",
        "lag_p95_ms",
        "Milliseconds from a slot freeing to the next video handed it, 2,000 waiting behind 20 (p95); "
        "limit: under 1,000.",
        lambda v: v < 1000,
    ),
    ("queue", "lag_p50_ms", "The same lag's median.", None),
    (
        "queue",
        "fairness_excess_slots",
        "Most slots any of 200 creators waited beyond one round of the others; limit: 0 (round-robin).",
        lambda v: v == 0,
    ),
    (
        "queue",
        "queries_per_slot_2000_waiting",
        "The dispatcher's queries per slot with 2,000 waiting; limit: as with 200 waiting.",
        lambda v, r: v <= r["queue"]["queries_per_slot_200_waiting"],
    ),
]


EXPLAIN += [
    (
        "storyboard_export",
        "remux_video_s_per_s",
        "Seconds of video written per second stitching 6 shots of 5 s at 720p copied as they are.",
        None,
    ),
    (
        "storyboard_export",
        "reencode_video_s_per_s",
        "The same with each shot trimmed by 0.2 s (decoded, fitted and encoded again).",
        None,
    ),
    (
        "storyboard_export",
        "peak_rss_growth_mb_60s",
        "Worker memory growth re-encoding a 60 s board; limit: under 64 MB.",
        lambda v: v < 64,
    ),
    (
        "storyboard_export",
        "peak_rss_growth_mb_30s",
        "The same for a 30 s board; limit: the 60 s board's within 8 MB (flat, whatever the length).",
        lambda v, r: abs(r["storyboard_export"]["peak_rss_growth_mb_60s"] - v) <= 8,
    ),
]


def verdict(check, value, results):
    if check is None or not isinstance(value, int | float):
        return ""
    ok = check(value, results) if check.__code__.co_argcount == 2 else check(value)
    return "ok  " if ok else "MISS"


def print_table(results):
    print(f"\nResults in {RESULTS.relative_to(ROOT)} ({results['machine']}, {results['when']})\n")
    for section, name, sentence, check in EXPLAIN:
        value = results.get(section, {}).get(name, "-")
        shown = value if isinstance(value, int | float) else "-"
        print(f"  {verdict(check, value, results):4} {section + '.' + name:<42} {shown!s:>9}   {sentence}")


def main(argv):
    chosen = argv or SECTIONS
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"Unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(
        {
            "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite",
            "broker": "Redis" if os.environ.get("REDIS_URL") else "database",
        }
    )
    if shutil.which("wrk") is None and "poll_endpoint" in chosen:
        raise SystemExit("The poll endpoint figure needs wrk: 'make bench' installs it, or apt-get install wrk.")
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as workdir:
        stack = Stack(Path(workdir))
        stack.start()
        try:
            stack.django()
            for section in SECTIONS:
                if section in chosen:
                    print(f"== {section}", flush=True)
                    results[section] = globals()[section](stack)
                    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        finally:
            stack.stop()
    print_table(results)


if __name__ == "__main__":
    main(sys.argv[1:])
