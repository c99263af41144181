"""The steps of one generation's life at Pixapi, run by the cluster (worker.tasks and the
sweeper): the only code that calls Pixapi for videos.

submit():     claim a queued row, ask Pixapi to start it, store the task id at once.
fetch_task(), apply_poll(): ask Pixapi how a task is doing, record the answer and when to look again.
download():   stream a finished video into storage, check it plays, make its poster, mark it completed.
"""

import errno
import logging
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.utils import timezone

from accounts import alerts
from catalog.models import CatalogModel
from generations import failover, failures, pictures, taskqueue
from generations.models import Generation
from lib import counters, media
from pixapi import client as pixapi
from storyboards import continuing

log = logging.getLogger(__name__)

SUBMIT_LEASE_SECONDS = 120  # longer than a submit can take (connect + read timeouts)
LEASE_MARGIN_SECONDS = 10
REENQUEUE_AFTER_SECONDS = 30  # a queued or saving row nobody picked up is handed out again after this
MAX_POLL_SECONDS = 30.0
MAX_WAIT_SECONDS = 600.0  # no Retry-After or backoff puts a row off longer than this
PAST_DEADLINE_POLL_ERRORS = 10  # failed looks in a row (a few minutes) before a row past its limit fails


def download_lease_seconds() -> float:
    """Outlives the task's time-out, so a try killed by it is handed out again only once it is dead."""
    return taskqueue.download_task_seconds() + LEASE_MARGIN_SECONDS


def describe(error: pixapi.PixapiError) -> str:
    parts = [type(error).__name__, str(error.http_status or ""), error.code or "", error.message]
    return " ".join(p for p in parts if p)


def code_for_submit_error(error: pixapi.PixapiError) -> str:
    """The failure code (generations.failures) for an error Pixapi gave when asked to start something."""
    if isinstance(error, pixapi.PromptRejected):
        return "prompt_rejected"
    if isinstance(error, pixapi.InvalidRequest):
        return "invalid_request"
    if isinstance(error, pixapi.NotFound):
        return "model_not_found"
    if isinstance(error, (pixapi.AuthError, pixapi.InsufficientCredits)):
        return "studio_unavailable"
    if isinstance(error, pixapi.OutcomeUnknown):
        return "outcome_unknown"
    return "service_error"


# Submitting


def submit(generation_id: UUID | str) -> str:
    gen = Generation.objects.select_related("model", "input_picture").filter(pk=generation_id).first()
    if gen is None or not gen.claim_for_submit(SUBMIT_LEASE_SECONDS):
        return "not queued"  # already taken by another run of this task, or canceled
    if timezone.now() > gen.deadline():
        # It would be failed as timed out right after Pixapi started (and charged the studio for) it.
        gen.mark_failed("not_started", failures.message_for("not_started"), expected=[Generation.Status.SUBMITTING])
        return "past deadline"
    try:
        task = pixapi.get_client().submit_video(
            model=gen.model.slug,
            prompt=gen.full_prompt,
            duration=gen.duration,
            size=gen.size,
            input_image=pictures.input_image_for(gen) if gen.input_picture_id else None,
        )
    except (pixapi.RateLimited, pixapi.Unavailable) as e:
        # A 429 or 503, or a connection that never reached Pixapi: nothing was created, so it goes
        # back to the front of its creator's line, and the model's breaker keeps the valve closed
        # for a while (catalog: twice as long each time in a row) instead of failing videos.
        gen.model.note_busy(e.retry_after)
        gen.requeue()
        counters.add("submits", f"{gen.model.slug}:busy")
        return "rate limited"
    except pixapi.PixapiError as e:
        code = code_for_submit_error(e)
        if code == "studio_unavailable":
            log.error("Pixapi refused the studio's account (%s): %s", type(e).__name__, e)
            alerts.pixapi_account_refused(e)  # an operator's problem: shown in admin until it works again
        gen.mark_failed(code, failures.message_for(code, e.message), detail=describe(e))
        counters.add("submits", f"{gen.model.slug}:refused")
        return code
    counters.add("submits", f"{gen.model.slug}:accepted")
    first_poll = timezone.now() + timedelta(seconds=min(settings.POLL_FIRST_SECONDS, gen.model.expected_seconds / 2))
    if not gen.mark_submitted(task.id, first_poll):
        log.error("Generation %s changed while submitting; Pixapi task %s is orphaned", gen.pk, task.id)
        return "orphaned"
    gen.model.note_recovered()
    alerts.resolve(alerts.PIXAPI_ACCOUNT)
    return "submitted"


# Polling


def next_poll_delay(gen: Generation, progress: int, now: datetime) -> float:
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
        delay = settings.POLL_MIN_SECONDS + (-remaining) / 4  # overdue: back off slowly
    return min(max(delay, settings.POLL_MIN_SECONDS), MAX_POLL_SECONDS)


def fetch_task(task_id: str | None) -> pixapi.Task | pixapi.PixapiError:
    """Runs in a pool thread: network only, no database. Never raises: one task's trouble is that
    row's, not the round's."""
    if not task_id:  # a submitted row always has one; without it there is nothing Pixapi could tell
        return pixapi.NotFound("The generation has no Pixapi task id.")
    try:
        return pixapi.get_client().get_task(task_id, retries=0)
    except pixapi.PixapiError as e:
        return e
    except Exception as e:
        log.exception("Polling Pixapi task %s failed unexpectedly", task_id)
        return pixapi.PixapiError(f"Unexpected error while polling: {type(e).__name__}: {e}"[:500], retryable=True)


def apply_poll(gen: Generation, result: pixapi.Task | pixapi.PixapiError, now: datetime | None = None) -> str:
    """Records what Pixapi said about one generation."""
    now = now or timezone.now()
    lease = gen.held_lease
    if isinstance(result, pixapi.PixapiError):
        return _apply_poll_error(gen, result, now, lease)
    if result.status == "completed" and result.video_url:
        if gen.mark_downloading(result.video_url, lease=lease):
            taskqueue.enqueue(taskqueue.DOWNLOAD, str(gen.pk))
        return "completed"
    if result.status == "failed" and failover.retries_elsewhere(gen, result.error_code):
        gen.model.note_busy()  # its other videos move on too, as after a busy answer
        if gen.back_in_line(lease=lease):
            return "back in line"
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


def _apply_poll_error(gen: Generation, error: pixapi.PixapiError, now: datetime, lease: datetime | None) -> str:
    if isinstance(error, pixapi.NotFound):
        gen.mark_failed("lost", failures.message_for("lost"), detail=describe(error), expected=Generation.POLLED)
        return "lost"
    if isinstance(error, pixapi.AuthError):
        log.error("Pixapi refused the studio's key while polling %s: %s", gen.pk, error)
    if now > gen.deadline() and gen.poll_errors + 1 >= PAST_DEADLINE_POLL_ERRORS:
        # Past its limit and Pixapi will not say how it is: stop asking (nothing polls for ever).
        gen.mark_failed(
            "timed_out", failures.message_for("timed_out"), detail=describe(error), expected=Generation.POLLED
        )
        return "timed out"
    # Retryable or not, a poll error only delays the next look; the time limit ends hopeless cases.
    backoff = min(MAX_POLL_SECONDS, 0.5 * 2 ** min(gen.poll_errors + 1, 6))
    delay = min(max(backoff, error.retry_after or 0), MAX_WAIT_SECONDS)
    gen.mark_poll_error(now + timedelta(seconds=delay), lease=lease)
    return "error"


# Downloading


def download(generation_id: UUID | str) -> str:
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
        gen.mark_failed("expired", failures.message_for("expired"), detail=describe(e))
        return "expired"
    except pixapi.DownloadTooLarge as e:
        gen.mark_failed("too_large", failures.message_for("too_large"), detail=describe(e))
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
        if path is not None:
            Path(path).unlink(missing_ok=True)
    if not gen.mark_completed(video_name, poster_name, info):
        default_storage.delete(video_name)
        default_storage.delete(poster_name)
        return "changed meanwhile"
    alerts.resolve(alerts.STORAGE_FULL)
    try:
        continuing.after_stored(gen)  # the shots continuing it start from its frame
    except Exception:  # the housekeeping's catch-up starts them
        log.exception("Could not start the shots that continue %s", gen.pk)
    learn_duration(gen)
    notify_by_email(gen)
    return "completed"


def _try_again_or_give_up(gen: Generation, tries: int, error: Exception) -> str:
    detail = describe(error) if isinstance(error, pixapi.PixapiError) else f"{type(error).__name__}: {error}"
    if tries >= settings.DOWNLOAD_ATTEMPTS:
        return _give_up(gen, "download_failed", f"{tries} tries, the last: {detail}")
    if not isinstance(error, pixapi.PixapiError):
        log.exception("Saving generation %s failed unexpectedly (try %s)", gen.pk, tries)
    log.warning(
        "Download of %s failed (try %s of %s), will retry: %s", gen.pk, tries, settings.DOWNLOAD_ATTEMPTS, detail
    )
    # The housekeeping hands it out again once this is REENQUEUE_AFTER_SECONDS past.
    gen.release_download(timezone.now() + timedelta(seconds=5 * 2**tries - REENQUEUE_AFTER_SECONDS))
    return "retry"


def _give_up(gen: Generation, code: str, detail: str) -> str:
    """The video was made but cannot be saved: the creator gets the credits back, an operator is told."""
    log.error("Giving up on saving generation %s (%s): %s", gen.pk, code, detail)
    if gen.mark_failed(code, failures.message_for(code), detail=detail, expected=[Generation.Status.DOWNLOADING]):
        alerts.download_failed(f"Generation {gen.pk} ({gen.model.slug}): {code}: {detail}")
    return code


def store_video(gen: Generation, path: str, poster_bytes: bytes) -> tuple[str, str]:
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


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:
        log.exception("Could not delete %s from storage", name)


def learn_duration(gen: Generation) -> None:
    """Keeps a moving average of how long this model really takes, for estimates and polling."""
    if not (gen.submitted_at and gen.pixapi_done_at):
        return
    observed = (gen.pixapi_done_at - gen.submitted_at).total_seconds()
    model = CatalogModel.objects.get(pk=gen.model_id)
    learned = observed if model.learned_seconds is None else 0.7 * model.learned_seconds + 0.3 * observed
    CatalogModel.objects.filter(pk=model.pk).update(learned_seconds=round(learned, 1))


def notify_by_email(gen: Generation) -> None:
    if not gen.user.notify_by_email or not gen.user.email_verified:  # mail only an address its owner proved
        return
    link = f"{settings.SITE_URL}/#generation-{gen.pk}"
    try:
        _send_ready_email(gen, link)
    except OSError as e:  # a mail server being down must not undo a finished video
        log.warning("Could not email %s about %s: %s", gen.user.email, gen.pk, e)


def _send_ready_email(gen: Generation, link: str) -> None:
    send_mail(
        "Your video is ready",
        f'Hello {gen.user.name},\n\nYour video "{gen.prompt[:80]}" is ready to watch:\n{link}\n\n'
        "You get this email because you asked for it in your profile.",
        None,
        [gen.user.email],
    )
