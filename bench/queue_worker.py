"""The studio's queue at scale, in a fresh process on a scratch database of its own: prints its figures as JSON.

Usage (from bench/sections/queue.py): python bench/queue_worker.py <creators> <per creator> <cap> <slots>, with the
stack's environment pointed at a freshly migrated database (no cluster runs on it, so no sweeper hands
slots out behind the bench's back; the tasks the dispatcher enqueues are written to the database
broker's table, as they would be, and nobody takes them).

What it does, twice: first with one waiting video per creator (creators x 1 waiting), then with `per
creator` each (creators x per creator waiting), everything else the same:
- `creators` creators, half on the Pro plan (10 places at once) and half on Creator (5), so their plans
  never hold them back and the valve is what they wait for; their waiting videos created in bulk
  (interleaved: every creator's first, then every creator's second, ...), no credits held (the ledger is
  not what is measured), and each creator's turns given by `generations.models.refill`, as a change
  to their queue would;
- the studio's valve capped at `cap` (StudioQueue.max_in_flight), filled by one `queue.dispatch()`;
- then `slots` times: the oldest video at Pixapi is done (moved to completed and its creator's turns
  refilled in one transaction, as Generation._move does when a download finishes), and once that has
  committed, `queue.dispatch()` runs, as the download task does next. The lag is the wall time from
  that commit to dispatch() returning (its own transaction committed, its task enqueued); its queries
  are counted (CaptureQueriesContext).

Fairness, from the order the slots were handed out (the fill included): a creator waits its fair turn
when no more than one round (every other waiting creator once, K - 1 slots, K the creators with videos
waiting) is handed to others before its first slot, or between two of its slots. Its excess is the
number of slots handed to others beyond that round, in the largest such gap, also counting the gap after
its last slot to the end of the run for a creator still waiting. The figure is the largest excess of any
creator; 0 is strict round-robin.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def build(creators, per_creator, cap):
    from django.db import transaction

    from accounts.models import Plan, User
    from catalog.models import CatalogModel
    from generations.models import CreatorQueue, Generation, StudioQueue, now_micros, refill

    Generation.objects.all().delete()
    CreatorQueue.objects.all().delete()
    User.objects.filter(username__startswith="queuebench").delete()
    pro, creator = Plan.objects.get(slug="pro"), Plan.objects.get(slug="creator")
    User.objects.bulk_create(
        User(
            username=f"queuebench{n}",
            email=f"queuebench{n}@studio.local",
            password="!",
            plan=pro if n % 2 == 0 else creator,
        )
        for n in range(creators)
    )
    users = list(User.objects.filter(username__startswith="queuebench").order_by("pk").values_list("pk", flat=True))
    wan = CatalogModel.objects.get(slug="wan")
    base = now_micros()
    rows = [
        Generation(
            user_id=user_id,
            model=wan,
            prompt=f"Queue bench {k}",
            full_prompt=f"Queue bench {k}",
            duration=4,
            size="1280x720",
            cost=wan.price(4, "1280x720"),
            status=Generation.Status.WAITING,
            queue_position=base + (k * creators + i) * 1024,
        )
        for k in range(per_creator)
        for i, user_id in enumerate(users)
    ]
    Generation.objects.bulk_create(rows, batch_size=500)
    for user_id in users:
        with transaction.atomic():
            refill(user_id)
    StudioQueue.objects.update_or_create(pk=1, defaults={"max_in_flight": cap, "paused": False})
    return users


def free_one():
    """The oldest video at Pixapi is done: completed and its creator's turns refilled, in one transaction."""
    from django.db import transaction
    from django.utils import timezone

    from generations.models import Generation, refill

    with transaction.atomic():
        gen = (
            Generation.objects.filter(status__in=Generation.AT_PIXAPI)
            .order_by("queued_at", "pk")
            .only("pk", "user_id")
            .first()
        )
        Generation.objects.filter(pk=gen.pk).update(
            status=Generation.Status.COMPLETED, progress=100, finished_at=timezone.now()
        )
        refill(gen.user_id)


def run(creators, per_creator, cap, slots):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from generations import queue
    from generations.models import Generation

    build(creators, per_creator, cap)
    waiting = Generation.objects.filter(status=Generation.Status.WAITING).count()
    filled = queue.dispatch()
    if len(filled) != cap:
        raise RuntimeError(f"The fill handed out {len(filled)} slots, not {cap}")
    order = [gen.user_id for gen in filled]
    lags, queries = [], []
    for _ in range(slots):
        free_one()
        reset_queries()  # the connection keeps only the last 9,000 queries: counting starts afresh each time
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            sent = queue.dispatch()
        lags.append(time.perf_counter() - started)
        if len(sent) != 1:
            raise RuntimeError(f"A freed slot handed out {len(sent)} videos")
        queries.append(len(captured.captured_queries))
        order.append(sent[0].user_id)
    return {
        "waiting": waiting,
        "lag_p50_ms": round(percentile(lags, 0.50) * 1000, 2),
        "lag_p95_ms": round(percentile(lags, 0.95) * 1000, 2),
        "lag_max_ms": round(max(lags) * 1000, 2),
        "queries_per_slot": round(statistics.mean(queries), 2),
        "queries_per_slot_max": max(queries),
        "fairness_excess_slots": fairness(order, creators, still_waiting()),
        "slots": len(order),
    }


def still_waiting():
    from generations.models import Generation

    return set(Generation.objects.filter(status=Generation.Status.WAITING).values_list("user_id", flat=True))


def fairness(order, creators, waiting_at_end):
    """The largest number of slots handed to others beyond one round that any creator waited (see above)."""
    allowed = creators - 1
    last, worst = {}, 0
    for at, user_id in enumerate(order):
        gap = at - last.get(user_id, -1) - 1
        worst = max(worst, gap - allowed)
        last[user_id] = at
    for user_id in waiting_at_end:  # the gap after its last slot (or the whole run) counts while it waits
        worst = max(worst, len(order) - last.get(user_id, -1) - 1 - allowed)
    return max(worst, 0)


def head_query_plan():
    """The plan the database gives the dispatcher's question per model (queue._next_for)."""
    from django.db import connection

    from catalog.models import CatalogModel
    from generations.models import Generation

    wan = CatalogModel.objects.get(slug="wan")
    head = (
        Generation.objects.filter(model_id=wan.pk, turn__isnull=False, status=Generation.Status.WAITING)
        .order_by("turn", "queue_position")
        .only("pk", "user_id", "turn", "queue_position", "batch_id", "cost", "model_id", "status", "updated_at")[:1]
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE generations_generation")
        return head.explain(analyze=True)
    return head.explain()


def main(creators, per_creator, cap, slots):
    import django

    django.setup()
    small = run(creators, 1, cap, min(slots, creators - cap))
    large = run(creators, per_creator, cap, slots)
    plan = head_query_plan()
    print(
        json.dumps(
            {
                "small": small,
                "large": large,
                "head_query_plan": plan,
                "head_query_uses_gen_ready": "gen_ready" in plan,
            }
        )
    )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:5]))
