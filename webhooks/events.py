"""Events for creators' endpoints: a delivery row per endpoint that wants the event, sent by a task.

Called explicitly where things happen (a video completes or fails: Generation._move), never from a
signal. Knows nothing of the network: webhooks/delivery.py sends, in the worker.
"""

import json
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_q import tasks

from webhooks.models import (
    GIVE_UP_AFTER,
    STORYBOARD_EXPORTED,
    TEST,
    VIDEO_COMPLETED,
    VIDEO_FAILED,
    VIDEO_REROUTED,
    WebhookDelivery,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)


def video_finished(gen):
    """video.completed or video.failed for a generation that has just reached that state. Trouble
    recording the event is logged and never undoes or stops the video's own step (a savepoint keeps an
    outer transaction usable)."""
    event = VIDEO_COMPLETED if gen.status == "completed" else VIDEO_FAILED
    try:
        with transaction.atomic():
            endpoints = [e for e in WebhookEndpoint.objects.filter(user_id=gen.user_id) if e.wants(event)]
            if endpoints:
                emit(endpoints, event, video_data(gen))
    except Exception:
        log.exception("Could not record %s for generation %s", event, gen.pk)


def video_rerouted(gen):
    """video.rerouted: a waiting video moved to another model because its own was unavailable."""
    try:
        with transaction.atomic():
            endpoints = [e for e in WebhookEndpoint.objects.filter(user_id=gen.user_id) if e.wants(VIDEO_REROUTED)]
            if endpoints:
                data = video_data(gen)
                data.update(rerouted_from=gen.rerouted_from.slug if gen.rerouted_from else None, note=gen.rerouted_note)
                emit(endpoints, VIDEO_REROUTED, data)
    except Exception:
        log.exception("Could not record %s for generation %s", VIDEO_REROUTED, gen.pk)


def storyboard_exported(export, board, video):
    """storyboard.exported, once an export's video is stored: the board, the version, its parts and the video."""
    try:
        with transaction.atomic():
            endpoints = [
                e for e in WebhookEndpoint.objects.filter(user_id=board.user_id) if e.wants(STORYBOARD_EXPORTED)
            ]
            if endpoints:
                data = {
                    "storyboard": {"id": board.pk, "title": board.title, "size": board.size},
                    "version": export.version,
                    "parts": export.parts,
                    "video": video_data(video),
                }
                emit(endpoints, STORYBOARD_EXPORTED, data)
    except Exception:
        log.exception("Could not record %s for storyboard %s", STORYBOARD_EXPORTED, board.pk)


def send_test(endpoint):
    return emit([endpoint], TEST, {"message": "A test event from the studio. Your endpoint works."})[0]


def video_data(gen):
    data = {
        "id": str(gen.pk),
        "status": gen.status,
        "prompt": gen.prompt,
        "model": gen.model.slug,
        "duration": gen.duration,
        "size": gen.size,
        "cost": str(gen.cost),
        "created_at": gen.created_at.isoformat(),
        "finished_at": gen.finished_at.isoformat() if gen.finished_at else None,
        "url": settings.SITE_URL + reverse("generation_detail", args=[gen.pk]),  # its page in the studio
        "api_url": settings.SITE_URL + reverse("api-v1:get_video", args=[gen.pk]),
    }
    if gen.status == "completed":
        data.update(
            download_url=settings.SITE_URL + reverse("api-v1:download_video", args=[gen.pk]),  # with an API token
            seconds=gen.video_seconds,
            width=gen.video_width,
            height=gen.video_height,
            bytes=gen.video_bytes,
        )
    else:
        data.update(error_code=gen.error_code, error_message=gen.error_message)
    return data


def emit(endpoints, event, data):
    now = timezone.now()
    body = json.dumps({"type": event, "timestamp": now.isoformat(), "data": data}, separators=(",", ":"))
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint=e, event=event, body=body, next_attempt_at=now, give_up_at=now + GIVE_UP_AFTER)
            for e in endpoints
        ]
    )
    for delivery in deliveries:
        enqueue(delivery.pk)
    return deliveries


def resend(delivery):
    if delivery.resend():
        enqueue(delivery.pk)
        return True
    return False


def enqueue(delivery_id):
    # robust: with the broker down the row still says it is due, and send_due picks it up.
    transaction.on_commit(lambda: _send(delivery_id), robust=True)


def _send(delivery_id):
    tasks.async_task("webhooks.tasks.deliver", str(delivery_id))
