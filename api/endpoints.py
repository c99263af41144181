"""The creator API, /api/v1/: the pages' twin. Creates go through the same request function as the
create form and the wizard (plan limits, budget, balance, holds), and refusals come back in plain
words in one JSON shape. Every lookup goes through the token's creator."""

import math
from datetime import UTC
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_ratelimit.core import get_usage
from ninja import File, Header, NinjaAPI, Query, Status, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError

from accounts import credits, plans, throttle, words
from accounts.offer import offer_for
from api import idempotency
from api.auth import CREATE, READ
from api.errors import ApiError
from api.schemas import (
    BalanceOut,
    ErrorOut,
    ModelOut,
    PictureOut,
    PicturePage,
    PriceOut,
    VideoIn,
    VideoOut,
    VideoPage,
    VideoStatus,
)
from catalog import presets
from catalog.models import CatalogModel
from generations import estimates, pictures
from generations.models import Generation, Picture
from generations.starting import start_generation
from lib import serving

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}


class StudioAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation):
        return operation.view_func.__name__  # "create_video", not "api_endpoints_create_video"

    def get_openapi_schema(self, *args, **kwargs):
        """The schema, with the Retry-After that every 429 carries."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for methods in schema["paths"].values():
            for operation in methods.values():
                for status, response in operation.get("responses", {}).items():
                    if str(status) == "429":
                        response["headers"] = RETRY_AFTER
        return schema


api = StudioAPI(
    title="Studio API",
    version="1",
    description=(
        "Make videos from your own code. Authenticate with a personal access token from your profile: "
        "`Authorization: Bearer st_...`. Errors always look like "
        '`{"error": {"code": "...", "message": "..."}}`.'
    ),
    urls_namespace="api-v1",
)

PAGE_SIZE_LIMIT = 100


def errors(*statuses):
    """The refusals an operation may answer: 400 (a request no view can read), 401 and 429 for every one."""
    return {status: ErrorOut for status in (400, 401, 429, *statuses)}


# One error shape for every refusal, the framework's own included.


def _error(request, status, code, message, headers=None):
    response = api.create_response(request, {"error": {"code": code, "message": message}}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ApiError)
def _api_error(request, exc):
    return _error(request, exc.status, exc.code, exc.message, exc.headers)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = _error(
        request,
        401,
        "unauthenticated",
        "Send a live personal access token: `Authorization: Bearer st_...`. Make one on your "
        "profile's API page; a revoked token no longer works.",
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    problems = []
    for error in exc.errors[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "payload", "file"))
        problems.append(f"{where}: {error.get('msg', 'not valid')}" if where else error.get("msg", "not valid"))
    return _error(request, 422, "invalid", "The request is not valid. " + "; ".join(problems) + ".")


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return _error(request, exc.status_code, "bad_request", str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "There is nothing here.")


# Reading


def _money(value):
    """Credits as a decimal string with two places, the same whether just computed or read back."""
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


def _estimated_finish(gen):
    """When it should be ready, from the studio's own history (the cards' estimate, its slow end); None
    once it is finished, or while nothing will start it by itself (paused)."""
    estimate = estimates.for_active(gen) or estimates.for_waiting(gen)
    return max(estimate.ready_high, estimate.now) if estimate else None


def _video(request, gen):
    ready = gen.status == Generation.Status.COMPLETED and bool(gen.video)
    return {
        "id": gen.pk,
        "status": gen.status,
        "status_words": gen.get_status_display(),
        "progress": gen.progress,
        "model": gen.model.slug,
        "start": gen.start,
        "prompt": gen.prompt,
        "title": gen.title,
        "duration": gen.duration,
        "size": gen.size,
        "style": gen.style,
        "camera": gen.camera,
        "picture_id": gen.input_picture_id,
        "cost": _money(gen.cost),
        "created_at": gen.created_at,
        "finished_at": gen.finished_at,
        "estimated_finish": _estimated_finish(gen),
        "error": {"code": gen.error_code or "failed", "message": gen.error_message} if gen.is_failed else None,
        "download_url": request.build_absolute_uri(reverse("api-v1:download_video", args=[gen.pk])) if ready else None,
        "video_seconds": gen.video_seconds,
        "video_bytes": gen.video_bytes,
        "rerouted_from": gen.rerouted_from.slug if gen.rerouted_from_id else None,
        "rerouted_note": gen.rerouted_note,
    }


def _get_video(request, video_id):
    """Every lookup of a video goes through here: another creator's video is simply not found."""
    gen = Generation.objects.for_user(request.auth).select_related("model", "rerouted_from").filter(pk=video_id).first()
    if gen is None:
        raise ApiError(404, "not_found", "You have no video with this id.")
    return gen


def _page(queryset, page, per_page):
    count = queryset.count()
    pages = max(1, math.ceil(count / per_page))
    start = (page - 1) * per_page
    return list(queryset[start : start + per_page]) if start < count else [], count, pages


def _aware(moment):
    if moment is not None and timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)
    return moment


@api.get("/videos", auth=READ, response={200: VideoPage, **errors(422)}, url_name="list_videos")
def list_videos(
    request,
    status: Query[VideoStatus | None] = None,
    model: Query[str | None] = None,
    created_after: Query[str | None] = None,
    created_before: Query[str | None] = None,
    page: Query[int] = 1,
    per_page: Query[int] = 20,
):
    """Your videos, newest first, filtered by status, model (its slug) and when they were made (ISO 8601)."""
    if not 1 <= page <= 1_000_000 or not 1 <= per_page <= PAGE_SIZE_LIMIT:
        raise ApiError(422, "invalid", f"page starts at 1; per_page is 1 to {PAGE_SIZE_LIMIT}.")
    videos = Generation.objects.for_user(request.auth).select_related("model", "rerouted_from")
    if status:
        videos = videos.filter(status=status)
    if model:
        videos = videos.filter(model__slug=model[:60])
    for name, value, lookup in (
        ("created_after", created_after, "created_at__gte"),
        ("created_before", created_before, "created_at__lt"),
    ):
        if value:
            videos = videos.filter(**{lookup: _moment(name, value)})
    items, count, pages = _page(videos, page, per_page)
    return {"items": [_video(request, gen) for gen in items], "count": count, "page": page, "pages": pages}


def _moment(name, value):
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = timezone.datetime(day.year, day.month, day.day)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise ApiError(
            422, "invalid", f"{name} is a date or a time in ISO 8601, like 2026-03-01 or 2026-03-01T12:00:00Z."
        )
    return _aware(moment)


@api.get("/videos/{video_id}", auth=READ, response={200: VideoOut, **errors(404, 422)}, url_name="get_video")
def get_video(request, video_id: UUID):
    """One of your videos: where it is (status and progress), what it cost, and where to download it."""
    return _video(request, _get_video(request, video_id))


VIDEO_CONTENT = {"video/mp4": {"schema": {"type": "string", "format": "binary"}}}


@api.get(
    "/videos/{video_id}/download",
    auth=READ,
    response={200: None, 206: None, **errors(404, 409, 416, 422)},
    url_name="download_video",
    openapi_extra={
        "responses": {
            200: {"description": "The video (MP4); send `Range: bytes=...` for a part", "content": VIDEO_CONTENT},
            206: {"description": "The part of the video asked for", "content": VIDEO_CONTENT},
            416: {
                "description": "The range asked for is past the end of the video",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
            },
        }
    },
)
def download_video(request, video_id: UUID):
    """The video file, once it is ready. HTTP Range requests are answered, so downloads can resume."""
    gen = _get_video(request, video_id)
    if gen.status != Generation.Status.COMPLETED or not gen.video:
        raise ApiError(
            409,
            "not_ready",
            f"This video is not ready: it is {gen.get_status_display().lower()}. "
            "Ask for it again once its status is completed.",
        )
    response = serving.stored_file_response(request, gen.video.name, "video/mp4", download_name=gen.download_name())
    if response.status_code == 416:
        return _error(
            request,
            416,
            "range_not_satisfiable",
            "That range is past the end of the video.",
            {"Content-Range": response["Content-Range"]},
        )
    if response.status_code == 404:
        raise ApiError(404, "not_found", "This video's file is no longer available.")
    return response


@api.get("/balance", auth=READ, response={200: BalanceOut, **errors()}, url_name="balance")
def balance(request):
    """Your credits: what you have and what is held for videos being made."""
    plan = plans.plan_for(request.auth)
    return {
        "balance": _money(credits.balance_of(request.auth)),
        "held": _money(credits.held_now(request.auth)),
        "plan": plan.name if plan else None,
    }


@api.get("/models", auth=READ, response={200: list[ModelOut], **errors()}, url_name="models")
def models(request):
    """The video models, with the lengths and sizes each makes, and whether your plan includes it."""
    offer = offer_for(request.auth)
    return [
        {
            "slug": m.slug,
            "name": m.name,
            "guide": m.guide,
            "text_to_video": m.text_to_video,
            "image_to_video": m.image_to_video,
            "durations": m.durations,
            "sizes": m.sizes,
            "on_your_plan": offer.includes(m),
        }
        for m in CatalogModel.objects.filter(kind=CatalogModel.Kind.VIDEO, enabled=True)
    ]


def _model(slug, duration, size, picture=False):
    """The video model asked for, checked to make this length and size, or a 422 in words."""
    model = CatalogModel.objects.filter(slug=slug[:60], kind=CatalogModel.Kind.VIDEO, enabled=True).first()
    if model is None:
        raise ApiError(422, "unknown_model", f"There is no video model “{slug[:60]}”. GET /api/v1/models lists them.")
    if picture and not model.image_to_video:
        raise ApiError(422, "unsupported", f"{model.name} does not animate pictures. Pick a model with image_to_video.")
    if not picture and not model.text_to_video:
        raise ApiError(422, "unsupported", f"{model.name} makes videos from pictures only: send a picture_id.")
    if duration not in model.durations:
        raise ApiError(422, "unsupported", f"{model.name} makes videos of {_listed(model.durations)} seconds.")
    if size not in model.sizes:
        raise ApiError(422, "unsupported", f"{model.name} makes the sizes {_listed(model.sizes)}.")
    return model


def _listed(values):
    values = [str(v) for v in values]
    return ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) > 1 else "".join(values)


@api.get("/price", auth=READ, response={200: PriceOut, **errors(422)}, url_name="price")
def price(request, model: Query[str], duration: Query[int], size: Query[str], picture: Query[bool] = False):
    """What a video would cost before you make it, and whether your plan and balance allow it now."""
    if not 1 <= duration <= 600:
        raise ApiError(422, "invalid", "duration is a number of seconds, 1 to 600.")
    chosen = _model(model, duration, size, picture=picture)
    cost = chosen.price(duration, size)
    have = credits.balance_of(request.auth)
    refusal = None
    try:
        offer_for(request.auth).check(chosen, duration, size)
    except plans.Refused as refused:
        refusal = words.refusal(refused, request.auth)
    if refusal is None and have < cost:
        refusal = words.short(request.auth, cost, have)
    return {
        "model": chosen.slug,
        "duration": duration,
        "size": size,
        "cost": _money(cost),
        "balance": _money(have),
        "balance_after": _money(have - cost),
        "allowed": refusal is None,
        "refusal": refusal,
    }


# Creating


@api.post("/videos", auth=CREATE, response={201: VideoOut, **errors(402, 403, 404, 409, 422)}, url_name="create_video")
def create_video(request, response: HttpResponse, payload: VideoIn, idempotency_key: Header[str | None] = None):
    """Makes a video from a prompt, or from one of your pictures (`picture_id`). Its cost is held at once and
    charged when it is ready (returned if it fails). Send an `Idempotency-Key` header (a UUID of your own)
    to make retrying safe: the same key and body give the same video and never a second hold."""
    user = request.auth
    prompt = " ".join(payload.prompt.split())
    if not prompt:
        raise ApiError(422, "invalid", "Describe the video you want in the prompt: a few words are enough.")
    picture = None
    if payload.picture_id:
        picture = Picture.objects.for_user(user).filter(pk=payload.picture_id).first()
        if picture is None:
            raise ApiError(404, "not_found", "You have no picture with this picture_id.")
    model = _model(payload.model, payload.duration, payload.size, picture=picture is not None)

    def start():
        return start_generation(
            user,
            model=model,
            prompt=prompt,
            duration=payload.duration,
            size=payload.size,
            style=payload.style,
            camera=payload.camera,
            input_picture=picture,
            fit=payload.fit,
            full_prompt=presets.full_prompt(prompt, payload.style, payload.camera),
            confirm_budget=payload.confirm_budget,
            failover=payload.failover,
        )

    try:
        if idempotency_key is not None:
            gen, created = idempotency.once(user, idempotency_key, payload.model_dump(mode="json"), start)
            if not created:
                response["Idempotent-Replayed"] = "true"
        else:
            gen, created = start()
    except credits.OverBudget as refusal:
        raise ApiError(
            402, "over_budget", f'{words.refusal(refusal, user)} (Send "confirm_budget": true to go ahead.)'
        ) from None
    except credits.NotEnoughCredits as refusal:
        raise ApiError(402, "not_enough_credits", words.refusal(refusal, user)) from None
    except plans.PlanLimit as refusal:
        raise ApiError(403, "plan_limit", words.refusal(refusal, user)) from None
    except plans.Refused as refusal:
        raise ApiError(403, "refused", words.refusal(refusal, user)) from None
    return Status(201, _video(request, gen))


@api.get("/pictures", auth=READ, response={200: PicturePage, **errors(422)}, url_name="list_pictures")
def list_pictures(request, page: Query[int] = 1, per_page: Query[int] = 20):
    """Your pictures, newest first: any of them can be animated with POST /api/v1/videos and its id."""
    if not 1 <= page <= 1_000_000 or not 1 <= per_page <= PAGE_SIZE_LIMIT:
        raise ApiError(422, "invalid", f"page starts at 1; per_page is 1 to {PAGE_SIZE_LIMIT}.")
    items, count, pages = _page(Picture.objects.for_user(request.auth), page, per_page)
    return {"items": [_picture(p) for p in items], "count": count, "page": page, "pages": pages}


def _picture(picture):
    return {
        "id": picture.pk,
        "name": picture.name,
        "width": picture.width,
        "height": picture.height,
        "origin": picture.origin,
        "created_at": picture.created_at,
    }


@api.post("/pictures", auth=CREATE, response={201: PictureOut, **errors(403, 422)}, url_name="upload_picture")
def upload_picture(request, picture: File[UploadedFile]):
    """Uploads a picture (JPEG, PNG, WebP or HEIC, as multipart form data in the field `picture`) to animate.
    It is checked and kept as the studio's clean copy, as in the wizard."""
    if message := throttle.over_limit(request, "upload", account=request.auth.pk):
        raise ApiError(429, "rate_limited", message, headers={"Retry-After": str(_upload_wait(request))})
    try:
        pictures.check_room(request.auth)
        image = pictures.read_upload(picture)
    except pictures.PictureRefused as refusal:
        raise ApiError(422, "picture_refused", str(refusal)) from None
    kept = pictures.keep(request.auth, image, Picture.UPLOAD, name=picture.name or "")
    return Status(201, _picture(kept))


def _upload_wait(request):
    """Seconds until the site's upload limit (counted per address and per creator) lets this caller upload."""
    waits = [1]
    for name, value in (("ip", throttle.client_ip(request) or "unknown"), ("account", str(request.auth.pk))):
        usage = get_usage(
            request,
            group=f"upload:{name}",
            key=lambda _g, _r, v=value: v,
            rate=settings.RATE_LIMITS["upload"],
            increment=False,
        )
        if usage and usage["should_limit"]:
            waits.append(math.ceil(usage["time_left"]))
    return max(waits)
