"""The library page with 10,000 generations: server time and queries, as a ratio of the trivial view."""

import statistics
import time
from datetime import timedelta

import httpx

from bench.common import bench_user, count_queries, percentile, session_cookie


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
    trivial = timed_gets(stack.url + "/ping/", headers)
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


EXPLAIN = [
    ("library", "p50_ms", "Median server time of the library page with 10,000 generations.", None),
    ("library", "p95_ms", "95th percentile of that time.", None),
    ("library", "ratio", "Library median over the trivial view's median.", None),
    ("library", "queries", "Queries for one library page.", None),
]
