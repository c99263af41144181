"""Several django-q2 clusters on one PostgreSQL database and one Redis broker, media on S3 (moto).

The database, not the queue, knows what is in flight: two clusters' sweepers share the tracking of
200 generations without polling any of them twice for one due time; killing a cluster loses nothing;
a message the Redis broker loses is made good by the sweeper's housekeeping.
"""

import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import User
from catalog.models import CatalogModel
from generations.models import Generation, StudioQueue
from generations.starting import start_generation
from pixapi import client as pixapi
from sandbox import render, stats
from tests.conftest import Cluster, cache_env, database_url, wait_for, with_credits
from tests.scale.conftest import bucket_keys

pytestmark = [pytest.mark.postgres_redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fast_renders(monkeypatch, tmp_path_factory, settings, tmp_path):
    """The sandbox (in this process, behind live_server) hands out one ready-made video for every task:
    rendering 200 videos is Pixapi's work, and would only slow the clusters' tests down."""
    settings.PIXAPI_SANDBOX_DIR = tmp_path / "sandbox"
    made = tmp_path_factory.getbasetemp() / "scale-ready-made.mp4"
    if not made.exists():
        render.render_video(str(made), width=1280, height=720, duration=2, prompt="Ready made", model="wan")
    monkeypatch.setattr(render, "render_video", lambda path, **kwargs: shutil.copyfile(made, path))


@pytest.fixture
def start_clusters(sandbox_url, live_server, s3_bucket, fast_renders, tmp_path):
    """Starts clusters like production ones: the same database, broker, queue and bucket. Each writes
    its sweeper's timing lines (one per status call) to a file of its own."""
    from django_q.brokers import get_broker

    get_broker().purge_queue()
    env = {
        **os.environ,
        **s3_bucket["env"],
        "DATABASE_URL": database_url(),
        **cache_env(),
        "PIXAPI_BASE_URL": sandbox_url,
        "SITE_URL": live_server.url,
        "Q_WORKERS": "3",
        "PIXAPI_CONNECT_TIMEOUT": "2",
        "PIXAPI_READ_TIMEOUT": "5",
    }
    started = []

    def start(count):
        for _ in range(count):
            n = len(started)
            cluster = Cluster({**env, "TIMING_LOG": str(tmp_path / f"timing-{n}.log")}, tmp_path / f"cluster-{n}.log")
            cluster.timing_log = tmp_path / f"timing-{n}.log"
            started.append(cluster.start())
        return started

    yield start
    for cluster in started:
        cluster.kill()


def creators(count):
    return [
        with_credits(User.objects.create_user(username=f"maker{n}", email=f"maker{n}@example.com", password="pw-1"))
        for n in range(count)
    ]


def start_many(count, seconds):
    """`count` videos of several Pro creators, all at Pixapi at once: the studio's valve opened wide enough
    (tests/generations/test_queue.py tries the valve itself)."""
    StudioQueue.lock()
    StudioQueue.objects.filter(pk=1).update(max_in_flight=count)
    wan = CatalogModel.objects.get(slug="wan")
    makers = creators(count // 10)  # the Pro plan makes 10 at once
    return [
        start_generation(
            makers[i % len(makers)],
            model=wan,
            prompt=f"Swallows over a barn, take {i} [sandbox:seconds={seconds}]",
            duration=2,
            size="1280x720",
        )[0]
        for i in range(count)
    ]


def counts(gens):
    rows = Generation.objects.filter(pk__in=[g.pk for g in gens])
    return {status: rows.filter(status=status).count() for status, _ in Generation.Status.choices}


def logs(clusters):
    return "\n".join(f"--- cluster {n}\n{c.log()}" for n, c in enumerate(clusters))


def wait_with_logs(predicate, clusters, message, timeout):
    try:
        return wait_for(predicate, timeout=timeout, every=0.5, message=message)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{logs(clusters)}") from None


def polls_by(cluster, since=0.0):
    """The status calls this cluster's sweeper made (after `since`, a Unix time), from its timing lines."""
    if not cluster.timing_log.exists():
        return 0
    times = [
        float(part.removeprefix("at="))
        for line in cluster.timing_log.read_text().splitlines()
        for part in line.split()
        if part.startswith("at=")
    ]
    return sum(1 for t in times if t > since)


def test_two_clusters_finish_200_generations_polling_each_once_per_due_time(start_clusters, s3_bucket):
    stats.reset()
    gens = start_many(200, seconds=6)
    clusters = start_clusters(2)

    wait_with_logs(lambda: counts(gens)["completed"] == 200, clusters, "200 completed", timeout=150)

    rows = Generation.objects.filter(pk__in=[g.pk for g in gens])
    routes = stats.snapshot()["routes"]
    assert routes["submit_video"] == 200  # nothing submitted twice
    assert len(set(rows.values_list("pixapi_task_id", flat=True))) == 200
    # Every status call the sandbox answered was recorded by the one sweeper holding that row for that
    # due time: a row polled by both clusters at once would show as a call nobody recorded.
    assert routes["get_task"] == sum(rows.values_list("polls", flat=True))
    assert max(rows.values_list("polls", flat=True)) <= 6
    # Both clusters did the work: each swept, and each ran submits or downloads.
    assert all(polls_by(cluster) for cluster in clusters)
    assert sum(polls_by(cluster) for cluster in clusters) == routes["get_task"]
    for cluster in clusters:
        log = Path(cluster.log_path).read_text(errors="replace")
        assert "'worker.tasks.submit_generation'" in log or "'worker.tasks.download_result'" in log
    keys = bucket_keys(s3_bucket)
    assert len(keys) == 400  # a video and a poster each, in the bucket
    assert sorted(rows.values_list("video", flat=True)) == sorted(k for k in keys if k.startswith("videos/"))


def test_killing_a_cluster_mid_sweep_loses_nothing(start_clusters):
    stats.reset()
    gens = start_many(200, seconds=20)
    clusters = start_clusters(2)
    submitted = Generation.objects.filter(pk__in=[g.pk for g in gens], pixapi_task_id__isnull=False)
    wait_with_logs(lambda: submitted.count() == 200, clusters, "all submitted", timeout=60)
    sweeping, survivor = clusters
    wait_with_logs(lambda: polls_by(sweeping), clusters, "its sweeper at work", timeout=20)
    now = counts(gens)
    assert now["submitted"] + now["running"] >= 150, now  # mid-run: most are in flight

    sweeping.kill()
    killed_at = time.time()

    wait_with_logs(lambda: counts(gens)["completed"] == 200, clusters, "200 completed after the kill", timeout=120)
    assert polls_by(survivor, since=killed_at) and not polls_by(sweeping, since=killed_at + 1)
    rows = Generation.objects.filter(pk__in=[g.pk for g in gens])
    assert stats.snapshot()["routes"]["submit_video"] == 200
    assert len(set(rows.values_list("pixapi_task_id", flat=True))) == 200
    assert not rows.exclude(error_code="").exists()


def test_messages_the_redis_broker_lost_are_made_good_by_the_database(start_clusters, settings):
    from django_q.brokers import get_broker

    settings.PIXAPI_SANDBOX_SECONDS = 2
    wan = CatalogModel.objects.get(slug="wan")
    maker = creators(1)[0]
    long_ago = timezone.now() - timedelta(seconds=90)

    # A submit message lost: the row is queued, its message gone, a minute and a half ago.
    never_submitted, _ = start_generation(maker, model=wan, prompt="A lost letter", duration=2, size="1280x720")
    # A download message lost: Pixapi finished, the row says "saving", nobody was told to save it.
    never_saved, _ = start_generation(maker, model=wan, prompt="A lost parcel", duration=2, size="1280x720")
    get_broker().purge_queue()
    task = pixapi.get_client().submit_video(model="wan", prompt="A lost parcel", duration=2, size="1280x720")
    finished = wait_for(lambda: (t := pixapi.get_client().get_task(task.id)).status == "completed" and t, timeout=20)
    Generation.objects.filter(pk=never_submitted.pk).update(created_at=long_ago, queued_at=long_ago)
    Generation.objects.filter(pk=never_saved.pk).update(
        status=Generation.Status.DOWNLOADING,
        pixapi_task_id=task.id,
        result_url=finished.video_url,
        progress=100,
        submitted_at=long_ago,
        pixapi_done_at=long_ago,
        next_poll_at=long_ago,
        created_at=long_ago,
    )
    assert get_broker().queue_size() == 0

    clusters = start_clusters(1)

    wait_with_logs(
        lambda: counts([never_submitted, never_saved])["completed"] == 2, clusters, "both completed", timeout=60
    )
    never_submitted.refresh_from_db()
    never_saved.refresh_from_db()
    assert never_submitted.pixapi_task_id and never_submitted.video
    assert never_saved.video and never_saved.pixapi_task_id == task.id
