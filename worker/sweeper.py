"""The sweeper: tracks every generation in flight, in each cluster's own process (manage.py cluster).

Each round claims rows that are due with a lease (SKIP LOCKED on PostgreSQL), so any number of
sweepers share the work and never poll one row twice; polls them concurrently over the shared
client; and records each answer with the row's next poll time. Every few seconds its housekeeping
makes good what a dead worker or a lost message left behind.
"""

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from generations import failover, failures, health, queue, taskqueue
from generations.models import Generation, ImageRequest, refill
from lib import counters
from pixapi import client as pixapi
from storyboards import continuing
from storyboards import export as storyboard_export
from worker import lifecycle

log = logging.getLogger(__name__)
# The benchmark's hook: one line per status call, when it went out and when its row fell due. Debug
# level, so it is written only where LOGGING asks for it (TIMING_LOG).
timing = logging.getLogger("studio.timing")

ROUND_WAVES = 2  # a round claims twice POLL_CONCURRENCY rows: fewer, bigger transactions
HOUSEKEEPING_SECONDS = 5.0
IDLE_SECONDS = 0.5  # the longest nap between rounds
PICTURES_REENQUEUE_SECONDS = 30
QUEUE_REFILLS_PER_PASS = 50
QUEUE_HOUSEKEEPING_SECONDS = 30.0
HEALTH_SECONDS = 60.0  # how often the models' figures for the status page are worked out
_last_queue_housekeeping = 0.0
_last_health = 0.0


def run(keep_going: Callable[[], bool]) -> None:
    """Sweeps until keep_going() says to stop. Nothing stops it but that: a failed round is logged
    and the next one goes on a moment later."""
    last_housekeeping = 0.0
    with ThreadPoolExecutor(settings.POLL_CONCURRENCY, thread_name_prefix="poll") as pool:
        while keep_going():
            if time.monotonic() - last_housekeeping > HOUSEKEEPING_SECONDS:
                last_housekeeping = time.monotonic()
                try:
                    housekeeping()
                except Exception:  # polling goes on
                    log.exception("Housekeeping failed; trying again in a few seconds")
            try:
                queue.dispatch()  # slots freed by the last round (videos now saving) go to the next in line
            except Exception:  # polling goes on; the next round hands the slots out
                log.exception("Handing out the queue's free slots failed; trying again next round")
                close_old_connections()
            try:
                if not poll_once(pool, settings.POLL_CONCURRENCY * ROUND_WAVES):
                    time.sleep(_time_to_next_due())
            except Exception:  # e.g. the database away for a moment
                log.exception("A sweep round failed; trying again in a moment")
                close_old_connections()
                time.sleep(1)


def _time_to_next_due() -> float:
    upcoming = (
        Generation.objects.filter(status__in=Generation.POLLED, next_poll_at__isnull=False)
        .order_by("next_poll_at")
        .values_list("next_poll_at", flat=True)
        .first()
    )
    if upcoming is None:
        return IDLE_SECONDS
    return min(max((upcoming - timezone.now()).total_seconds(), 0.05), IDLE_SECONDS)


# Polling


def poll_lease_seconds() -> float:
    """A round is ROUND_WAVES waves of concurrent status calls, so its lease covers that many of the
    slowest calls the client allows; a dead sweeper's rows are polled again soon after."""
    slowest = settings.PIXAPI_CONNECT_TIMEOUT + settings.PIXAPI_READ_TIMEOUT
    return ROUND_WAVES * slowest + lifecycle.LEASE_MARGIN_SECONDS


def claim_due(limit: int, lease_seconds: float | None = None) -> list[Generation]:
    """Takes up to `limit` rows that are due for a poll and not held by anyone else."""
    now = timezone.now()
    lease = now + timedelta(seconds=lease_seconds or poll_lease_seconds())
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    due = Generation.objects.filter(free, status__in=Generation.POLLED, next_poll_at__lte=now)
    with transaction.atomic():
        candidates = due.order_by("next_poll_at")
        if settings.DATABASE_IS_POSTGRES:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        due.filter(pk__in=ids).update(lease_until=lease)
    rows = list(Generation.objects.filter(pk__in=ids, lease_until=lease).select_related("model", "user"))
    for row in rows:
        row.held_lease = lease
    return rows


def _ask(row: Generation) -> pixapi.Task | pixapi.PixapiError:
    """Runs in a pool thread: network only, no database."""
    if row.next_poll_at is not None:  # always, for a row claim_due took
        timing.debug("poll generation=%s due=%.6f at=%.6f", row.pk, row.next_poll_at.timestamp(), time.time())
    return lifecycle.fetch_task(row.pixapi_task_id)


def poll_once(pool: Executor, limit: int) -> int:
    """One round: claim what is due, poll it all concurrently, record the answers. Returns the count."""
    rows = claim_due(limit)
    if not rows:
        return 0
    results = list(pool.map(_ask, rows))
    for row, result in zip(rows, results):
        counters.add("polls", f"{row.model.slug}:{'error' if isinstance(result, Exception) else 'answered'}")
    # One transaction for the round's answers: the database's write lock (all of SQLite, a WAL flush
    # on PostgreSQL) is taken once per round instead of once per row; so are the download messages.
    # Each row in a savepoint of its own: one row's surprise is undone alone and backs that row off.
    with taskqueue.one_commit_then_messages():
        for row, result in zip(rows, results):
            try:
                with taskqueue.forgotten_on_error(), transaction.atomic():
                    lifecycle.apply_poll(row, result)
            except Exception:
                log.exception("Recording the poll of generation %s failed; it is backed off", row.pk)
                _back_off(row)
    return len(rows)


def _back_off(gen: Generation) -> None:
    try:
        with transaction.atomic():
            retry_at = timezone.now() + timedelta(seconds=lifecycle.MAX_POLL_SECONDS)
            gen.mark_poll_error(retry_at, lease=gen.held_lease)
    except Exception:  # its lease runs out and it is polled again then
        log.exception("Could not back off generation %s", gen.pk)


# Housekeeping: the cases where a worker died or a queue lost a message.


def _each[T](rows: Iterable[T], step: Callable[[T], Any]) -> None:
    """Runs `step` on each row; an error is logged and the other rows go on."""
    for row in rows:
        try:
            step(row)
        except Exception:
            log.exception("Housekeeping of %s failed; the others go on", getattr(row, "pk", row))


def housekeeping(now: datetime | None = None) -> None:
    now = now or timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    active = Generation.objects.filter(status__in=Generation.ACTIVE).select_related("model")

    # Past its time limit, a video still waiting is never started. One already at Pixapi is polled
    # first (apply_poll ends it then): after an outage, Pixapi may well have finished it.
    minute_ago = now - timedelta(seconds=60)
    sent = Q(queued_at__lt=minute_ago) | Q(queued_at__isnull=True, created_at__lt=minute_ago)
    waiting = active.filter(sent, status=Generation.Status.QUEUED).only(
        "pk", "status", "created_at", "queued_at", "updated_at", "user_id", "model__time_limit_seconds"
    )
    _each(
        [gen for gen in waiting if now > gen.deadline()],
        lambda gen: gen.mark_failed(
            "not_started", failures.message_for("not_started"), expected=[Generation.Status.QUEUED]
        ),
    )

    # A submit that never came back (worker killed between the call and the save): the task may
    # or may not exist at Pixapi, and there is no way to ask. Never resubmit blindly.
    _each(
        Generation.objects.filter(status=Generation.Status.SUBMITTING, lease_until__lt=now),
        lambda gen: gen.mark_failed(
            "outcome_unknown",
            failures.message_for("outcome_unknown"),
            detail="The worker stopped between the submit and saving its answer.",
            expected=[Generation.Status.SUBMITTING],
        ),
    )

    stale = now - timedelta(seconds=lifecycle.REENQUEUE_AFTER_SECONDS)
    queued = Generation.objects.filter(status=Generation.Status.QUEUED).filter(
        Q(next_poll_at__isnull=True, queued_at__lt=stale)
        | Q(next_poll_at__isnull=True, queued_at__isnull=True, created_at__lt=stale)
        | Q(next_poll_at__lte=now)
    )
    for pk in queued.values_list("pk", flat=True)[:100]:
        if Generation.objects.filter(pk=pk, status=Generation.Status.QUEUED).update(
            next_poll_at=now + timedelta(seconds=lifecycle.REENQUEUE_AFTER_SECONDS)
        ):
            taskqueue.enqueue(taskqueue.SUBMIT, str(pk))

    picture_housekeeping(now)
    storyboard_export.housekeeping(now)
    failover.reroute_stuck(now)  # waiting videos whose creator allowed it leave a model that is unavailable
    health.beat(now)
    global _last_queue_housekeeping, _last_health
    if time.monotonic() - _last_health > HEALTH_SECONDS:
        _last_health = time.monotonic()
        health.refresh(now)
    if time.monotonic() - _last_queue_housekeeping > QUEUE_HOUSEKEEPING_SECONDS:
        _last_queue_housekeeping = time.monotonic()
        queue_housekeeping()

    saving = Generation.objects.filter(free, status=Generation.Status.DOWNLOADING, next_poll_at__lte=stale)
    for pk in saving.values_list("pk", flat=True)[:100]:
        if Generation.objects.filter(pk=pk, status=Generation.Status.DOWNLOADING).update(next_poll_at=now):
            taskqueue.enqueue(taskqueue.DOWNLOAD, str(pk))


def queue_housekeeping() -> None:
    """Waiting videos with no turn whose creator may have a place free (a plan changed in admin, a
    change that missed its refill): their turns are worked out again, then the valve runs."""
    users = (
        Generation.objects.filter(status=Generation.Status.WAITING, turn__isnull=True, paused=False, after=None)
        .values_list("user_id", flat=True)
        .distinct()[:QUEUE_REFILLS_PER_PASS]
    )
    _each(list(users), lambda user_id: _refill(user_id))
    continuing.catch_up()  # storyboard shots whose shot before was stored while no worker saw it
    queue.dispatch()


def _refill(user_id: int) -> None:
    with transaction.atomic():
        refill(user_id)


def picture_housekeeping(now: datetime) -> None:
    """An image request whose worker died mid-call ends honestly; one never picked up is handed out again."""
    for req in ImageRequest.objects.filter(status=ImageRequest.Status.RUNNING, lease_until__lt=now):
        req.mark_failed(
            "outcome_unknown",
            failures.message_for("outcome_unknown", subject="pictures"),
            detail="The worker stopped during the image call.",
        )
    # For a queued request, lease_until is when it may be handed out again.
    stale = ImageRequest.objects.filter(status=ImageRequest.Status.QUEUED).filter(
        Q(lease_until__isnull=True, created_at__lt=now - timedelta(seconds=PICTURES_REENQUEUE_SECONDS))
        | Q(lease_until__lt=now)
    )
    for pk in stale.values_list("pk", flat=True)[:50]:
        if ImageRequest.objects.filter(pk=pk, status=ImageRequest.Status.QUEUED).update(
            lease_until=now + timedelta(seconds=PICTURES_REENQUEUE_SECONDS)
        ):
            taskqueue.enqueue(taskqueue.MAKE_PICTURES, str(pk))
