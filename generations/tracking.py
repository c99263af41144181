"""Following each generation from the queue to a stored video.

submit():   claim a queued row, ask Pixapi to start it, store the task id at once.
sweep():    the tracker. Claims rows that are due, polls them concurrently over the shared client,
            and sets each row's next poll time around its expected finish. Runs for up to
            SWEEP_SECONDS, then hands over to a successor, so tracking has no gaps.
download(): stream a finished video into storage, check it plays, make its poster, mark it completed.

Only these functions (called from generations.tasks) talk to Pixapi; no view ever waits on it.
"""

import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import alerts
from generations import failures, media, pictures
from generations.models import CatalogModel, Generation, SweeperSlot
from generations.pixapi import client as pixapi

log = logging.getLogger(__name__)

SUBMIT_LEASE_SECONDS = 120  # longer than a submit can take (connect + read timeouts)
POLL_LEASE_MARGIN_SECONDS = 10
ROUND_WAVES = 2  # a round claims twice POLL_CONCURRENCY rows: fewer, bigger transactions
DOWNLOAD_LEASE_SECONDS = 180
REENQUEUE_AFTER_SECONDS = 30  # a queued or saving row nobody picked up is handed out again after this
MIN_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 30.0
FIRST_POLL_SECONDS = 3.0
IDLE_EXIT_SECONDS = 5.0  # a sweeper with nothing in flight for this long stops and starts no successor
HEARTBEAT_STALE_SECONDS = 10.0  # a sweeper beats at least every loop; silent this long, it is dead
ALIVE_SECONDS = 3.0
BEAT_SECONDS = 1.0  # a sweeper writes its heartbeat at most this often, not every round
SLOT_REQUESTED = "requested"  # the holder of a slot kept for a sweeper that was asked for


def enqueue(func_name, *args):
    """Hands a task to the django-q2 cluster, by name, after the current transaction commits."""
    held = getattr(_held_messages, "messages", None)
    if held is not None:
        held.append((func_name, args))
        return
    transaction.on_commit(lambda: _send([(func_name, args)]))


_held_messages = threading.local()


@contextmanager
def one_commit_then_messages():
    """Runs the block in one transaction; the tasks it enqueues are sent after it commits, all in
    one transaction of their own (a single write with the database broker, not one per message)."""
    _held_messages.messages = []
    try:
        with transaction.atomic():
            yield
        messages = _held_messages.messages
    finally:
        _held_messages.messages = None
    _send(messages)


def _send(messages):
    from django_q.tasks import async_task

    if messages:
        with transaction.atomic():
            for func_name, args in messages:
                async_task(f"generations.tasks.{func_name}", *args)


# Submitting


def submit(generation_id):
    gen = Generation.objects.select_related("model", "input_picture").filter(pk=generation_id).first()
    if gen is None or not gen.claim_for_submit(SUBMIT_LEASE_SECONDS):
        return "not queued"  # already taken by another run of this task, or canceled
    try:
        task = pixapi.get_client().submit_video(
            model=gen.model.slug, prompt=gen.full_prompt, duration=gen.duration, size=gen.size,
            input_image=pictures.input_image_for(gen) if gen.input_picture_id else None,
        )
    except (pixapi.RateLimited, pixapi.Unavailable) as e:
        # A 429, or a connection that never reached Pixapi: nothing was created, so it is safe to
        # try again later (the time limit ends it if Pixapi stays away).
        wait = max(e.retry_after or 0, 5.0)
        gen.requeue(timezone.now() + timedelta(seconds=wait))
        return "rate limited"
    except pixapi.PixapiError as e:
        code = failures.code_for_submit_error(e)
        if code == "studio_unavailable":
            log.error("Pixapi refused the studio's account (%s): %s", type(e).__name__, e)
            alerts.pixapi_account_refused(e)  # an operator's problem: shown in admin until it works again
        gen.mark_failed(code, failures.message_for(code, e.message), detail=_describe(e))
        return code
    first_poll = timezone.now() + timedelta(seconds=min(FIRST_POLL_SECONDS, gen.model.expected_seconds / 2))
    if not gen.mark_submitted(task.id, first_poll):
        log.error("Generation %s changed while submitting; Pixapi task %s is orphaned", gen.pk, task.id)
        return "orphaned"
    alerts.resolve(alerts.PIXAPI_ACCOUNT)
    ensure_sweeper()
    return "submitted"


def _describe(error):
    parts = [type(error).__name__, str(error.http_status or ""), error.code or "", error.message]
    return " ".join(p for p in parts if p)


# Polling


def next_poll_delay(gen, progress, now):
    """Seconds until the next look: about half the expected time left, checked often near the end."""
    started = gen.submitted_at or gen.created_at
    elapsed = max((now - started).total_seconds(), 0.001)
    if progress >= 5:
        remaining = elapsed * (100 - progress) / progress
    else:
        remaining = gen.model.expected_seconds - elapsed
    if remaining > 0:
        # Measured progress predicts the finish well: look again three quarters of the way there.
        # The model's typical time alone does not: halve the distance instead.
        delay = remaining * (0.75 if progress >= 5 else 0.5)
    else:
        delay = MIN_POLL_SECONDS + (-remaining) / 4  # overdue: back off slowly
    return min(max(delay, MIN_POLL_SECONDS), MAX_POLL_SECONDS)


def poll_lease_seconds():
    """A round is ROUND_WAVES waves of concurrent status calls, so its lease covers that many of the
    slowest calls the client allows; a dead sweeper's rows are polled again soon after."""
    slowest = settings.PIXAPI_CONNECT_TIMEOUT + settings.PIXAPI_READ_TIMEOUT
    return ROUND_WAVES * slowest + POLL_LEASE_MARGIN_SECONDS


def claim_due(limit, lease_seconds=None):
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


def fetch_task(task_id):
    """Runs in a pool thread: network only, no database."""
    try:
        return pixapi.get_client().get_task(task_id, retries=0)
    except pixapi.PixapiError as e:
        return e


def apply_poll(gen, result, now=None):
    """Records what Pixapi said about one generation."""
    now = now or timezone.now()
    lease = getattr(gen, "held_lease", None)
    if isinstance(result, pixapi.PixapiError):
        return _apply_poll_error(gen, result, now, lease)
    if result.status == "completed" and result.video_url:
        if gen.mark_downloading(result.video_url, lease=lease):
            enqueue("download_result", str(gen.pk))
        return "completed"
    if result.status == "completed" or result.status == "failed":
        code = failures.code_for_task_error(result.error_code) if result.status == "failed" else "lost"
        detail = f"{result.raw_status} {result.error_code or ''} {result.error_message or ''}".strip()
        gen.mark_failed(code, failures.message_for(code), detail=detail, expected=Generation.POLLED)
        return "failed"
    delay = next_poll_delay(gen, result.progress, now)
    gen.mark_running(result.progress, now + timedelta(seconds=delay), lease=lease)
    return "running"


def _apply_poll_error(gen, error, now, lease):
    if isinstance(error, pixapi.NotFound):
        gen.mark_failed("lost", failures.message_for("lost"), detail=_describe(error), expected=Generation.POLLED)
        return "lost"
    if isinstance(error, pixapi.AuthError):
        log.error("Pixapi refused the studio's key while polling %s: %s", gen.pk, error)
    # Retryable or not, a poll error only delays the next look; the time limit ends hopeless cases.
    backoff = min(MAX_POLL_SECONDS, 0.5 * 2 ** min(gen.poll_errors + 1, 6))
    delay = max(backoff, error.retry_after or 0)
    gen.mark_poll_error(now + timedelta(seconds=delay), lease=lease)
    return "error"


def poll_once(pool, limit):
    """One round: claim what is due, poll it all concurrently, record the answers. Returns the count."""
    rows = claim_due(limit)
    if not rows:
        return 0
    results = list(pool.map(fetch_task, [row.pixapi_task_id for row in rows]))
    # One transaction for the round's answers: the database's write lock (all of SQLite, a WAL flush
    # on PostgreSQL) is taken once per round instead of once per row; so are the download messages.
    with one_commit_then_messages():
        for row, result in zip(rows, results):
            apply_poll(row, result)
    return len(rows)


# Housekeeping: the cases where a worker died or a queue lost a message.


def housekeeping(now=None):
    now = now or timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    active = Generation.objects.filter(status__in=Generation.ACTIVE).select_related("model")

    for gen in active.filter(created_at__lt=now - timedelta(seconds=60)).only(
        "pk", "status", "created_at", "model__time_limit_seconds"
    ):
        if now > gen.deadline() and gen.status != Generation.DOWNLOADING:
            gen.mark_failed("timed_out", failures.message_for("timed_out"), expected=Generation.ACTIVE)

    # A submit that never came back (worker killed between the call and the save): the task may
    # or may not exist at Pixapi, and there is no way to ask. Never resubmit blindly.
    for gen in Generation.objects.filter(status=Generation.SUBMITTING, lease_until__lt=now):
        gen.mark_failed(
            "outcome_unknown", failures.message_for("outcome_unknown"),
            detail="The worker stopped between the submit and saving its answer.", expected=[Generation.SUBMITTING],
        )

    stale = now - timedelta(seconds=REENQUEUE_AFTER_SECONDS)
    queued = Generation.objects.filter(status=Generation.QUEUED).filter(
        Q(next_poll_at__isnull=True, created_at__lt=stale) | Q(next_poll_at__lte=now)
    )
    for pk in queued.values_list("pk", flat=True)[:100]:
        if Generation.objects.filter(pk=pk, status=Generation.QUEUED).update(
            next_poll_at=now + timedelta(seconds=REENQUEUE_AFTER_SECONDS)
        ):
            enqueue("submit_generation", str(pk))

    from generations import imaging  # it builds on this module

    imaging.housekeeping(now)

    saving = Generation.objects.filter(free, status=Generation.DOWNLOADING, next_poll_at__lte=stale)
    for pk in saving.values_list("pk", flat=True)[:100]:
        if Generation.objects.filter(pk=pk, status=Generation.DOWNLOADING).update(next_poll_at=now):
            enqueue("download_result", str(pk))


# The sweeper


def _ensure_slots():
    for number in range(settings.SWEEPERS):
        SweeperSlot.objects.get_or_create(number=number)


def _free_slot(now):
    """A slot nobody beats in: empty, or its holder silent long enough to be dead."""
    return Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - timedelta(seconds=HEARTBEAT_STALE_SECONDS))


def claim_slot(wait_seconds=HEARTBEAT_STALE_SECONDS + 1):
    """A sweeper runs only in a slot it holds; the number of slots bounds concurrent sweepers.

    Takes a free slot or one kept for a requested sweeper. When every slot is held, it leaves at
    once if all holders are beating, and otherwise waits a little for the quiet one to go stale, so
    that a sweeper started after a cluster was killed takes over as soon as it can.
    """
    _ensure_slots()
    holder = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"  # which machine and process
    give_up = time.monotonic() + wait_seconds
    while True:
        now = timezone.now()
        for number in range(settings.SWEEPERS):
            took = SweeperSlot.objects.filter(_free_slot(now) | Q(holder=SLOT_REQUESTED), number=number).update(
                heartbeat_at=now, holder=holder
            )
            if took:
                return number, holder
        quiet = SweeperSlot.objects.filter(
            number__lt=settings.SWEEPERS, heartbeat_at__lt=now - timedelta(seconds=ALIVE_SECONDS)
        )
        if time.monotonic() > give_up or not quiet.exists():
            return None
        time.sleep(1)


def beat(slot):
    number, holder = slot
    return SweeperSlot.objects.filter(number=number, holder=holder).update(heartbeat_at=timezone.now()) == 1


def release(slot):
    number, holder = slot
    SweeperSlot.objects.filter(number=number, holder=holder).update(heartbeat_at=None, holder="")


def sweeper_alive():
    recent = timezone.now() - timedelta(seconds=ALIVE_SECONDS)
    return SweeperSlot.objects.filter(heartbeat_at__gte=recent).exists()


def request_sweepers(count=1):
    """Enqueues up to `count` sweepers, each for a free slot it keeps for them. A kept slot looks
    held, so a burst of submits asks for one sweeper, not one each; if the message is lost, the
    slot goes stale and the next request asks again. Returns how many were asked for."""
    _ensure_slots()
    asked = 0
    for number in range(settings.SWEEPERS):
        if asked >= count:
            break
        now = timezone.now()
        if SweeperSlot.objects.filter(_free_slot(now), number=number).update(heartbeat_at=now, holder=SLOT_REQUESTED):
            enqueue("sweep")
            asked += 1
    return asked


def ensure_sweeper():
    if not sweeper_alive():
        request_sweepers(1)


def keep_sweepers():
    """While generations are in flight, every slot has a sweeper or a request for one: a dead
    cluster's sweeper (its slot goes stale) or a lost message is replaced within seconds."""
    if Generation.objects.active().exists():
        return request_sweepers(settings.SWEEPERS)
    return 0


def sweep(seconds=None):
    """Tracks every generation in flight for up to `seconds`, then enqueues its successor."""
    seconds = settings.SWEEP_SECONDS if seconds is None else seconds
    slot = claim_slot()
    if slot is None:
        return "busy"
    started = time.monotonic()
    idle_since = None
    last_housekeeping = 0.0
    try:
        with ThreadPoolExecutor(settings.POLL_CONCURRENCY, thread_name_prefix="poll") as pool:
            last_beat = 0.0
            while time.monotonic() - started < seconds:
                if time.monotonic() - last_beat >= BEAT_SECONDS:
                    if not beat(slot):
                        return "slot lost"
                    last_beat = time.monotonic()
                if time.monotonic() - last_housekeeping > 5:
                    housekeeping()
                    last_housekeeping = time.monotonic()
                if poll_once(pool, settings.POLL_CONCURRENCY * ROUND_WAVES):
                    idle_since = None
                    continue
                if not Generation.objects.active().exists():
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > IDLE_EXIT_SECONDS:
                        return "idle"
                time.sleep(_time_to_next_due())
    finally:
        release(slot)
    if Generation.objects.active().exists():
        request_sweepers(1)
    return "handed over"


def _time_to_next_due():
    upcoming = (
        Generation.objects.filter(status__in=Generation.POLLED, next_poll_at__isnull=False)
        .order_by("next_poll_at").values_list("next_poll_at", flat=True).first()
    )
    if upcoming is None:
        return 0.5
    return min(max((upcoming - timezone.now()).total_seconds(), 0.05), 0.5)


# Downloading


def download(generation_id):
    gen = Generation.objects.select_related("model", "user").filter(pk=generation_id).first()
    if gen is None or not gen.claim_download(DOWNLOAD_LEASE_SECONDS):
        return "not saving"
    client = pixapi.get_client()
    fd, path = tempfile.mkstemp(suffix=".mp4", dir=settings.DOWNLOAD_TEMP_DIR)
    os.close(fd)
    try:
        try:
            client.download(gen.result_url, path, max_bytes=settings.PIXAPI_MAX_DOWNLOAD_BYTES)
        except pixapi.ResultExpired as e:
            gen.mark_failed("expired", failures.message_for("expired"), detail=_describe(e))
            return "expired"
        except pixapi.DownloadTooLarge as e:
            gen.mark_failed("too_large", failures.message_for("too_large"), detail=_describe(e))
            return "too large"
        except pixapi.PixapiError as e:
            # Passing trouble: let the housekeeping hand it out again shortly.
            gen.release_download(timezone.now() + timedelta(seconds=10))
            log.warning("Download of %s failed, will retry: %s", gen.pk, e)
            return "retry"
        try:
            info, poster_bytes = media.probe_video(path)
        except media.NotAVideo as e:
            gen.mark_failed("damaged", failures.message_for("damaged"), detail=str(e))
            return "damaged"
        video_name, poster_name = store_video(gen, path, poster_bytes)
    finally:
        if os.path.exists(path):
            os.remove(path)
    if not gen.mark_completed(video_name, poster_name, info):
        default_storage.delete(video_name)
        default_storage.delete(poster_name)
        return "changed meanwhile"
    learn_duration(gen)
    notify_by_email(gen)
    return "completed"


def store_video(gen, path, poster_bytes):
    base = f"{gen.created_at:%Y/%m}/{gen.pk}"
    with open(path, "rb") as f:
        video_name = default_storage.save(f"videos/{base}.mp4", File(f))
    poster_name = default_storage.save(f"posters/{base}.jpg", media.bytes_file(poster_bytes))
    return video_name, poster_name


def learn_duration(gen):
    """Keeps a moving average of how long this model really takes, for estimates and polling."""
    if not (gen.submitted_at and gen.pixapi_done_at):
        return
    observed = (gen.pixapi_done_at - gen.submitted_at).total_seconds()
    model = CatalogModel.objects.get(pk=gen.model_id)
    learned = observed if model.learned_seconds is None else 0.7 * model.learned_seconds + 0.3 * observed
    CatalogModel.objects.filter(pk=model.pk).update(learned_seconds=round(learned, 1))


def notify_by_email(gen):
    if not gen.user.notify_by_email or not gen.user.email_verified:  # mail only an address its owner proved
        return
    link = f"{settings.SITE_URL}/#generation-{gen.pk}"
    try:
        _send_ready_email(gen, link)
    except OSError as e:  # a mail server being down must not undo a finished video
        log.warning("Could not email %s about %s: %s", gen.user.email, gen.pk, e)


def _send_ready_email(gen, link):
    send_mail(
        "Your video is ready",
        f"Hello {gen.user.name},\n\nYour video \"{gen.prompt[:80]}\" is ready to watch:\n{link}\n\n"
        "You get this email because you asked for it in your profile.",
        None, [gen.user.email],
    )
