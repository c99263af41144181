"""Making pictures with an image model ("make one" in the wizard), by the same rules as videos:
queued by a view, made by a task, never resubmitted blindly, failures told in plain words."""

import io
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts import credits, plans
from generations import failures, pictures, starting, tracking
from generations.models import ImageRequest, Picture
from pixapi import client as pixapi

log = logging.getLogger(__name__)

LEASE_SECONDS = 180  # longer than an image call can take
MAX_IMAGE_BYTES = 30_000_000


def request_pictures(user, *, model, prompt, n=3, size="1024x1024", client_token=None, confirm_budget=False):
    """Queues an image request, holding its cost; the same form token twice gives back the first one.

    By the same rules as a video (generations.starting): raises credits.Refused, with words for the
    creator and nothing created, when their plan, what they have in progress, their budget (unless
    `confirm_budget`), the day's picture requests, the pictures they keep or their balance do not allow it."""
    if client_token:
        existing = ImageRequest.objects.filter(user=user, client_token=client_token).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            credits.lock_account(user)  # held until commit: the checks below stay true until the hold
            plans.check_model(user, model)
            plans.check_running(user, *starting.in_progress(user))
            check_requests_today(user)
            pictures.check_room(user, adding=n)
            cost = model.credits_per_image * n
            if not confirm_budget:
                credits.check_budget(user, cost, what="These pictures")
            req = ImageRequest.objects.create(
                user=user, model=model, prompt=prompt, n=n, size=size, cost=cost, client_token=client_token,
            )
            credits.hold(user, cost, reference=credits.reference_for(req), description=prompt, model=model)
            tracking.enqueue("make_pictures", str(req.pk))
    except IntegrityError:
        return ImageRequest.objects.get(user=user, client_token=client_token)
    return req


def check_requests_today(user):
    """Raises credits.Refused when the creator has asked for as many sets of pictures in the last day as
    the studio makes for one account (PICTURE_REQUESTS_PER_DAY)."""
    limit = settings.PICTURE_REQUESTS_PER_DAY
    since = timezone.now() - timedelta(days=1)
    if ImageRequest.objects.filter(user=user, created_at__gte=since).count() >= limit:
        raise credits.Refused(
            f"You have asked for {limit} sets of pictures in the last day, as many as the studio makes for "
            "one account. Try again tomorrow, or pick one of the pictures you have."
        )


def make(request_id):
    req = ImageRequest.objects.select_related("model", "user").filter(pk=request_id).first()
    if req is None or not req.claim(LEASE_SECONDS):
        return "not queued"
    client = pixapi.get_client()
    try:
        results = client.generate_images(model=req.model.slug, prompt=req.prompt, n=req.n, size=req.size)
        images = [_fetch(client, result) for result in results]
    except pixapi.PixapiError as e:
        code = failures.code_for_submit_error(e)
        if isinstance(e, (pixapi.RateLimited, pixapi.Unavailable)):
            code = "service_error"
        message = failures.message_for(code, e.message, subject="pictures")
        req.mark_failed(code, message, detail=f"{type(e).__name__}: {e.message}")
        return code
    except pictures.PictureRefused as e:
        req.mark_failed("damaged", failures.message_for("damaged", subject="pictures"), detail=str(e))
        return "damaged"
    for image in images:
        pictures.keep(req.user, image, Picture.GENERATED, name=req.prompt, request=req)
    req.mark_completed()
    return "completed"


def _fetch(client, result):
    if result.data is not None:
        return pictures.read_bytes(result.data)
    buffer = io.BytesIO()
    client.download(result.url, buffer, max_bytes=MAX_IMAGE_BYTES)
    return pictures.read_bytes(buffer.getvalue())


def housekeeping(now=None):
    """An image request whose worker died mid-call ends honestly; one never picked up is handed out again."""
    now = now or timezone.now()
    for req in ImageRequest.objects.filter(status=ImageRequest.RUNNING, lease_until__lt=now):
        req.mark_failed("outcome_unknown", failures.message_for("outcome_unknown", subject="pictures"),
                        detail="The worker stopped during the image call.")
    # For a queued request, lease_until is when it may be handed out again.
    stale = ImageRequest.objects.filter(status=ImageRequest.QUEUED).filter(
        Q(lease_until__isnull=True, created_at__lt=now - timedelta(seconds=30)) | Q(lease_until__lt=now)
    )
    for pk in stale.values_list("pk", flat=True)[:50]:
        if ImageRequest.objects.filter(pk=pk, status=ImageRequest.QUEUED).update(lease_until=now + timedelta(seconds=30)):
            tracking.enqueue("make_pictures", str(pk))
