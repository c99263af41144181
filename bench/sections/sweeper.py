"""1,000 generations started through the studio within 30 s (each takes the sandbox 45 to 75 s, so all 1,000 are
in flight at once) and tracked by the cluster's own sweeper against the sandbox, timed by the lines it writes
to TIMING_LOG (logger studio.timing); the cluster submits and downloads. Polls per second, the lag between a
row falling due and its poll, calls per generation, sandbox-finished to stored.
"""

import os
import statistics
import threading
import time
from pathlib import Path

from bench.common import bench_user, percentile


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


EXPLAIN = [
    ("sweeper", "polls_per_s", "Pixapi status calls per second by one sweeper, 1,000 generations in flight.", None),
    ("sweeper", "lag_p50_s", "Median seconds between a row falling due and its poll.", None),
    ("sweeper", "lag_p95_s", "95th percentile of that lag; limit: under 1 s.", lambda v: v < 1),
    ("sweeper", "calls_per_generation", "Pixapi calls (submit + polls) per finished generation.", None),
    ("sweeper", "finish_to_complete_p95_s", "Seconds from the sandbox finishing to the video stored (p95).", None),
]
