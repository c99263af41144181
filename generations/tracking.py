"""Following each generation from the queue to a stored video.

submit():   claim a queued row, ask Pixapi to start it, store the task id at once.
sweep():    the tracker. Claims rows that are due, polls them concurrently over the shared client,
            and sets each row's next poll time around its expected finish. Runs for up to
            SWEEP_SECONDS, then hands over to a successor, so tracking has no gaps.
download(): stream a finished video into storage, check it plays, make its poster, mark it completed.

Only these functions (called from generations.tasks) talk to Pixapi; no view ever waits on it.
"""

import errno
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
from pixapi import client as pixapi

log = logging.getLogger(__name__)

SUBMIT_LEASE_SECONDS = 120  # longer than a submit can take (connect + read timeouts)
POLL_LEASE_MARGIN_SECONDS = 10
ROUND_WAVES = 2  # a round claims twice POLL_CONCURRENCY rows: fewer, bigger transactions
DOWNLOAD_MARGIN_SECONDS = 90  # after the stream: checking the video, its poster, storing both
REENQUEUE_AFTER_SECONDS = 30  # a queued or saving row nobody picked up is handed out again after this
MIN_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 30.0
FIRST_POLL_SECONDS = 3.0
IDLE_EXIT_SECONDS = 5.0  # a sweeper with nothing in flight for this long stops and starts no successor
HEARTBEAT_STALE_SECONDS = 10.0  # a sweeper beats at least every loop; silent this long, it is dead
ALIVE_SECONDS = 3.0
BEAT_SECONDS = 1.0  # a sweeper writes its heartbeat at most this often, not every round
SLOT_REQUESTED = "requested"  # the holder of a slot kept for a sweeper that was asked for
MAX_WAIT_SECONDS = 600.0  # no Retry-After or backoff puts a row off longer than this
PAST_DEADLINE_POLL_ERRORS = 10  # failed looks in a row (a few minutes) before a row past its limit fails


def enqueue(func_name, *args):
    """Hands a task to the django-q2 cluster, by name, after the current transaction commits."""
    held = getattr(_held_messages, "messages", None)
    if held is not None:
        held.append((func_name, args))
        return
    # robust: a broker that is down (Redis) must not turn a committed page into an error; the row
    # is in the database, and the housekeeping hands it out again.
    transaction.on_commit(lambda: _send([(func_name, args)]), robust=True)


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
                async_task(f"generations.tasks.{func_name}", *args, **_task_options(func_name))


def _task_options(func_name):
    if func_name == "download_result":
        # The cluster's time-out suits a sweep (SWEEP_SECONDS and a little); a big video on a slow
        # link takes longer, so a download has its own, matching its deadline and lease.
        return {"timeout": download_task_seconds()}
    return {}


def download_task_seconds():
    return int(settings.DOWNLOAD_SECONDS + DOWNLOAD_MARGIN_SECONDS)


def download_lease_seconds():
    """Outlives the task's time-out, so a try killed by it is handed out again only once it is dead."""
    return download_task_seconds() + POLL_LEASE_MARGIN_SECONDS


# Submitting


def submit(generation_id):
    gen = Generation.objects.select_related("model", "input_picture").filter(pk=generation_id).first()
    if gen is None or not gen.claim_for_submit(SUBMIT_LEASE_SECONDS):
        return "not queued"  # already taken by another run of this task, or canceled
    if timezone.now() > gen.deadline():
        # It would be failed as timed out right after Pixapi started (and charged the studio for) it.
        gen.mark_failed("not_started", failures.message_for("not_started"), expected=[Generation.SUBMITTING])
        return "past deadline"
    try:
        task = pixapi.get_client().submit_video(
            model=gen.model.slug, prompt=gen.full_prompt, duration=gen.duration, size=gen.size,
            input_image=pictures.input_image_for(gen) if gen.input_picture_id else None,
        )
    except (pixapi.RateLimited, pixapi.Unavailable) as e:
        # A 429, or a connection that never reached Pixapi: nothing was created, so it is safe to
        # try again later (the time limit ends it if Pixapi stays away).
        wait = min(max(e.retry_after or 0, 5.0), MAX_WAIT_SECONDS)
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
    """Runs in a pool thread: network only, no database. Never raises: one task's trouble is that
    row's, not the round's."""
    try:
        return pixapi.get_client().get_task(task_id, retries=0)
    except pixapi.PixapiError as e:
        return e
    except Exception as e:
        log.exception("Polling Pixapi task %s failed unexpectedly", task_id)
        return pixapi.PixapiError(f"Unexpected error while polling: {type(e).__name__}: {e}"[:500], retryable=True)


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
    if now > gen.deadline():
        # Only now, with Pixapi's own answer in hand: after an outage a finished video is saved, not failed.
        detail = f"Still {result.raw_status} at {result.progress}% after the model's time limit."
        gen.mark_failed("timed_out", failures.message_for("timed_out"), detail=detail, expected=Generation.POLLED)
        return "timed out"
    delay = next_poll_delay(gen, result.progress, now)
    gen.mark_running(result.progress, min(now + timedelta(seconds=delay), gen.deadline()), lease=lease)
    return "running"


def _apply_poll_error(gen, error, now, lease):
    if isinstance(error, pixapi.NotFound):
        gen.mark_failed("lost", failures.message_for("lost"), detail=_describe(error), expected=Generation.POLLED)
        return "lost"
    if isinstance(error, pixapi.AuthError):
        log.error("Pixapi refused the studio's key while polling %s: %s", gen.pk, error)
    if now > gen.deadline() and gen.poll_errors + 1 >= PAST_DEADLINE_POLL_ERRORS:
        # Past its limit and Pixapi will not say how it is: stop asking (nothing polls for ever).
        gen.mark_failed("timed_out", failures.message_for("timed_out"), detail=_describe(error),
                        expected=Generation.POLLED)
        return "timed out"
    # Retryable or not, a poll error only delays the next look; the time limit ends hopeless cases.
    backoff = min(MAX_POLL_SECONDS, 0.5 * 2 ** min(gen.poll_errors + 1, 6))
    delay = min(max(backoff, error.retry_after or 0), MAX_WAIT_SECONDS)
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
    # Each row in a savepoint of its own: one row's surprise is undone alone and backs that row off.
    with one_commit_then_messages():
        for row, result in zip(rows, results):
            held = len(_held_messages.messages)
            try:
                with transaction.atomic():
                    apply_poll(row, result)
            except Exception:
                del _held_messages.messages[held:]
                log.exception("Recording the poll of generation %s failed; it is backed off", row.pk)
                _back_off(row)
    return len(rows)


def _back_off(gen):
    try:
        with transaction.atomic():
            retry_at = timezone.now() + timedelta(seconds=MAX_POLL_SECONDS)
            gen.mark_poll_error(retry_at, lease=getattr(gen, "held_lease", None))
    except Exception:  # its lease runs out and it is polled again then
        log.exception("Could not back off generation %s", gen.pk)


def _each(rows, step):
    """Runs `step` on each row; an error is logged and the other rows go on."""
    for row in rows:
        try:
            step(row)
        except Exception:
            log.exception("Housekeeping of %s failed; the others go on", getattr(row, "pk", row))


# Housekeeping: the cases where a worker died or a queue lost a message.


def housekeeping(now=None):
    now = now or timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    active = Generation.objects.filter(status__in=Generation.ACTIVE).select_related("model")

    # Past its time limit, a video still waiting is never started. One already at Pixapi is polled
    # first (apply_poll ends it then): after an outage, Pixapi may well have finished it.
    waiting = active.filter(status=Generation.QUEUED, created_at__lt=now - timedelta(seconds=60)).only(
        "pk", "status", "created_at", "updated_at", "user_id", "model__time_limit_seconds"
    )
    _each(
        [gen for gen in waiting if now > gen.deadline()],
        lambda gen: gen.mark_failed("not_started", failures.message_for("not_started"), expected=[Generation.QUEUED]),
    )

    # A submit that never came back (worker killed between the call and the save): the task may
    # or may not exist at Pixapi, and there is no way to ask. Never resubmit blindly.
    _each(Generation.objects.filter(status=Generation.SUBMITTING, lease_until__lt=now), lambda gen: gen.mark_failed(
        "outcome_unknown", failures.message_for("outcome_unknown"),
        detail="The worker stopped between the submit and saving its answer.", expected=[Generation.SUBMITTING],
    ))

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
                    try:
                        housekeeping()
                    except Exception:  # e.g. the database away for a moment: polling goes on
                        log.exception("Housekeeping failed; trying again in a few seconds")
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
    """One try at saving a finished video. A try that passing trouble stops is handed out again by the
    housekeeping, DOWNLOAD_ATTEMPTS tries in all; whatever ends it, no partial file stays behind."""
    gen = Generation.objects.select_related("model", "user").filter(pk=generation_id).first()
    if gen is None or not gen.claim_download(download_lease_seconds()):
        return "not saving"
    tries = gen.download_attempts + 1  # gen was read just before the claim counted this one
    if tries > settings.DOWNLOAD_ATTEMPTS:  # the earlier tries stopped without a word (workers killed)
        return _give_up(gen, "download_failed", f"{tries - 1} tries ended without finishing.")
    path = video_name = poster_name = None
    try:
        fd, path = tempfile.mkstemp(suffix=".mp4", dir=settings.DOWNLOAD_TEMP_DIR)
        os.close(fd)
        pixapi.get_client().download(
            gen.result_url, path, max_bytes=settings.PIXAPI_MAX_DOWNLOAD_BYTES, seconds=settings.DOWNLOAD_SECONDS
        )
        info, poster_bytes = media.probe_video(path)
        video_name, poster_name = store_video(gen, path, poster_bytes)
    except pixapi.ResultExpired as e:
        gen.mark_failed("expired", failures.message_for("expired"), detail=_describe(e))
        return "expired"
    except pixapi.DownloadTooLarge as e:
        gen.mark_failed("too_large", failures.message_for("too_large"), detail=_describe(e))
        return "too large"
    except media.NotAVideo as e:
        return _give_up(gen, "damaged", str(e))
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EDQUOT):
            return _try_again_or_give_up(gen, tries, e)
        log.error("No room to save generation %s: %s", gen.pk, e)
        alerts.storage_full(f"Generation {gen.pk}: {e}")
        gen.mark_failed("storage_full", failures.message_for("storage_full"), detail=str(e))
        return "storage full"
    except Exception as e:  # Pixapi's trouble, or anything unexpected: this try failed
        return _try_again_or_give_up(gen, tries, e)
    finally:
        _remove(path)
    if not gen.mark_completed(video_name, poster_name, info):
        default_storage.delete(video_name)
        default_storage.delete(poster_name)
        return "changed meanwhile"
    alerts.resolve(alerts.STORAGE_FULL)
    learn_duration(gen)
    notify_by_email(gen)
    return "completed"


def _try_again_or_give_up(gen, tries, error):
    detail = _describe(error) if isinstance(error, pixapi.PixapiError) else f"{type(error).__name__}: {error}"
    if tries >= settings.DOWNLOAD_ATTEMPTS:
        return _give_up(gen, "download_failed", f"{tries} tries, the last: {detail}")
    if not isinstance(error, pixapi.PixapiError):
        log.exception("Saving generation %s failed unexpectedly (try %s)", gen.pk, tries)
    log.warning("Download of %s failed (try %s of %s), will retry: %s", gen.pk, tries, settings.DOWNLOAD_ATTEMPTS,
                detail)
    # The housekeeping hands it out again once this is REENQUEUE_AFTER_SECONDS past.
    gen.release_download(timezone.now() + timedelta(seconds=5 * 2**tries - REENQUEUE_AFTER_SECONDS))
    return "retry"


def _give_up(gen, code, detail):
    """The video was made but cannot be saved: the creator gets the credits back, an operator is told."""
    log.error("Giving up on saving generation %s (%s): %s", gen.pk, code, detail)
    if gen.mark_failed(code, failures.message_for(code), detail=detail, expected=[Generation.DOWNLOADING]):
        alerts.download_failed(f"Generation {gen.pk} ({gen.model.slug}): {code}: {detail}")
    return code


def _remove(path):
    if path is None:
        return
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def store_video(gen, path, poster_bytes):
    """Saves the video and its poster; when that fails (a full disk), neither stays in storage."""
    base = f"{gen.created_at:%Y/%m}/{gen.pk}"
    names = [f"videos/{base}.mp4", f"posters/{base}.jpg"]
    # This try holds the row and nothing refers to these names before it completes, so anything
    # there is what a killed try left half written.
    for name in names:
        _delete_quietly(name)
    try:
        with open(path, "rb") as f:
            video_name = default_storage.save(names[0], File(f))
        poster_name = default_storage.save(names[1], media.bytes_file(poster_bytes))
    except BaseException:
        for name in names:
            _delete_quietly(name)
        raise
    return video_name, poster_name


def _delete_quietly(name):
    try:
        default_storage.delete(name)
    except Exception:
        log.exception("Could not delete %s from storage", name)


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
