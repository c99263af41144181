"""The dashboard's poller under load (wrk on loopback), as a ratio of a trivial view served by the same gunicorn
through the same middleware; its queries.
"""

import re
import statistics
import subprocess
from datetime import timedelta

import httpx

from bench.common import bench_user, count_queries, session_cookie

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
    trivial = f"{stack.url}/ping/"
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
]
