"""The sandbox's HTTP routes: a strict stand-in for Pixapi (the contract: docs/pixapi-contract.md).

Every route but the result files needs `Authorization: Bearer <settings.PIXAPI_SANDBOX_KEY>`, the
one key the sandbox accepts; a result file needs its signed URL. Faults (faults.py) are applied by
the `endpoint` decorator, in this order: the key (or the file's signature) is checked before anything
else, so a request without it gets a plain 401/403 and no fault, render or fetch; then faults are
collected (header, run setting, prompt markers), an error fault answers at once, otherwise the route
does its work; then `slow` delays the answer and `drop` / `malformed-json` spoil it.
"""

import base64
import binascii
import functools
import io
import json
import re
import secrets
import socket
import time
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from PIL import Image

from sandbox import faults as fault_switches
from sandbox import render, stats
from sandbox.models import SandboxTask, signature_ok
from sandbox.ulid import TASK_ID_RE, new_task_id

INVALID_KEY_LABEL = "(invalid key)"

VIDEO_MODELS = {
    "veo": {"durations": list(range(4, 9)), "label": "Veo"},
    "wan": {"durations": list(range(2, 16)), "label": "Wan"},
    "kling": {"durations": [5, 10], "label": "Kling"},
}
VIDEO_SIZES = {
    "1280x720": (1280, 720),
    "720x1280": (720, 1280),
    "1920x1080": (1920, 1080),
    "1080x1920": (1080, 1920),
    "16:9": (1280, 720),
    "9:16": (720, 1280),
}
IMAGE_MODELS = {"gemini-2.5-flash-image": "Nano Banana", "gpt-image-2": "GPT Image 2"}
IMAGE_SIZES = {
    "1024x1024": (1024, 1024),
    "1536x1024": (1536, 1024),
    "1024x1536": (1024, 1536),
    "1280x720": (1280, 720),
    "720x1280": (720, 1280),
}
QUALITIES = ("low", "medium", "high", "auto")
RESPONSE_FORMATS = ("url", "b64_json")
DEFAULT_DURATION = 5
MAX_DURATION = max(max(spec["durations"]) for spec in VIDEO_MODELS.values())
MAX_SIDE = max(max(size) for size in VIDEO_SIZES.values())
MAX_PROMPT = 5000
MAX_IMAGES = 4
MAX_INPUT_BYTES = 10 * 1024 * 1024
MAX_INPUT_PIXELS = 40_000_000
INPUT_FORMATS = ("JPEG", "PNG", "WEBP")
FETCH_TIMEOUT = 10.0

VIDEO_FIELDS = {"model", "prompt", "duration", "size", "input_image"}
IMAGE_FIELDS = {"model", "prompt", "n", "size", "quality", "response_format"}


class ApiError(Exception):
    def __init__(self, status, error_type, message, headers=None, code=None):
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message
        self.headers = headers or {}
        self.code = code or error_type


def invalid(message):
    return ApiError(400, "invalid_request_error", message)


def error_response(error, numeric=False):
    body = {
        "error": {
            "code": error.status if numeric else error.code,
            "type": error.error_type,
            "message": error.message,
            "request_id": "req_" + secrets.token_hex(12),
        }
    }
    response = JsonResponse(body, status=error.status)
    response["X-Request-Id"] = body["error"]["request_id"]
    for name, value in error.headers.items():
        response[name] = value
    return response


# ---------------------------------------------------------------- the request wrapper


class Call:
    """What one request carries: its key, its faults, its JSON body."""

    def __init__(self, request, route):
        self.request, self.route = request, route
        self.key = None
        self.faults = fault_switches.Faults()
        self.body = None

    @property
    def numeric(self):
        return "numeric-codes" in self.faults

    def file_url(self, name):
        return self.request.build_absolute_uri(reverse("pixapi_sandbox:file", args=[name]))


def bearer_key(request):
    """The sandbox's key if the request carries it, else None: it accepts that one key only."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() == "bearer" and constant_time_compare(key, settings.PIXAPI_SANDBOX_KEY):
        return key
    return None


def endpoint(route, method, *, auth=True, json_body=False, owner=None, guard=None):
    """Wrap a sandbox view: key, counting, method check, faults, errors as Pixapi error bodies.

    A route without a key (`auth=False`) has a `guard(request, *args, **kwargs)` that raises ApiError
    when the request may not go on, and `owner(*args, **kwargs)` that names the key it is counted under.
    """

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            call = Call(request, route)
            try:
                if auth:
                    call.key = bearer_key(request)
                    stats.count(route, call.key or INVALID_KEY_LABEL)
                    if not call.key:
                        raise ApiError(401, "unauthorized", "Invalid API key.")
                else:
                    stats.count(route, owner(*args, **kwargs) if owner else None)
                    guard(request, *args, **kwargs)
            except ApiError as error:
                return error_response(error)  # plain: no fault for a request without the key
            try:
                call.faults.add(fault_switches.from_header(request))
                header_error = None
            except fault_switches.FaultError as error:
                header_error = invalid(str(error))
            try:
                if request.method != method:
                    raise ApiError(405, "method_not_allowed", f"Use {method} on this route.")
                if header_error:
                    raise header_error
                try:
                    call.faults.add(fault_switches.from_run(route))
                except fault_switches.FaultError as error:
                    raise ApiError(500, "internal_error", f"The sandbox is misconfigured: {error}") from None
                if json_body:
                    call.body = parse_body(request)
                    try:
                        call.faults.add(fault_switches.from_prompt(call.body.get("prompt")))
                    except fault_switches.FaultError as error:
                        raise invalid(str(error)) from None
                error = call.faults.error()
                if error:
                    name, status, error_type, message = error
                    headers = {"Retry-After": "1"} if name == "rate-limited" else {}
                    raise ApiError(status, error_type, message, headers=headers)
                response = view(request, call, *args, **kwargs)
            except ApiError as error:
                response = error_response(error, numeric=call.numeric)
            return spoil(call, response)

        return wrapper

    return decorate


def parse_body(request):
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise invalid("Send a JSON body with Content-Type: application/json.")
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


def spoil(call, response):
    """Apply the answer-spoiling faults: slow, drop, malformed-json."""
    if "slow" in call.faults:
        time.sleep(settings.PIXAPI_SANDBOX_SLOW_SECONDS)
    if "drop" in call.faults:
        return dropped(call.request, response)
    if "malformed-json" in call.faults:
        response.close()  # the answer it replaces (it may hold an open file)
        if call.route == "file":
            return HttpResponse(b"<html><body>502 Bad Gateway</body></html>", content_type=response["Content-Type"])
        return HttpResponse(
            b'<html><head><title>Pixapi</title></head><body>upstream hiccup {"status": ',
            content_type="application/json",
        )
    return response


def _client_socket(environ):
    """The client's socket, where the server lets us reach it (gunicorn; Django's runserver)."""
    sock = environ.get("gunicorn.socket")
    if sock is None:
        stream = environ.get("wsgi.input")
        reader = getattr(getattr(stream, "_read", None), "__self__", None)  # Django's LimitedStream
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def dropped(request, response):
    """Send the headers and part of the body, then cut the connection (no complete response)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    part = content[: max(1, len(content) // 2)]
    sock = _client_socket(request.META)

    def stream():
        yield part
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        # The servers treat this as the client going away: no traceback, the connection closes.
        raise ConnectionAbortedError("sandbox fault: drop")

    spoilt = StreamingHttpResponse(stream(), status=response.status_code, content_type=response["Content-Type"])
    spoilt["Content-Length"] = str(max(len(content), len(part) + 1))
    return spoilt


# ---------------------------------------------------------------- validation


def _require_model(body, models, kind):
    model = body.get("model")
    if model is None:
        raise invalid("model is required.")
    if not isinstance(model, str):
        raise invalid("model must be a string.")
    if model not in models:
        raise ApiError(
            404, "model_not_found", f"The {kind} model {model!r} does not exist. Choose one of: {', '.join(models)}."
        )
    return model


def _require_prompt(body):
    prompt = body.get("prompt")
    if prompt is None:
        raise invalid("prompt is required.")
    if not isinstance(prompt, str):
        raise invalid("prompt must be a string.")
    if not prompt.strip():
        raise invalid("prompt must not be empty.")
    if len(prompt) > MAX_PROMPT:
        raise invalid(f"prompt is too long: at most {MAX_PROMPT} characters, this one has {len(prompt)}.")
    return prompt


def _reject_unknown(body, allowed, query):
    if "async" in body or "async" in query:
        raise invalid("The async flag is not accepted: this route is asynchronous already.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise invalid(f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}.")


def _integer(body, name, default):
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"{name} must be a number.")
    if isinstance(value, float):
        if not value.is_integer():
            raise invalid(f"{name} must be a whole number, not {value}.")
        value = int(value)
    return value


def validate_video(request, body):
    _reject_unknown(body, VIDEO_FIELDS, request.GET)
    model = _require_model(body, VIDEO_MODELS, "video")
    prompt = _require_prompt(body)
    duration = _integer(body, "duration", DEFAULT_DURATION)
    allowed = VIDEO_MODELS[model]["durations"]
    if duration not in allowed:
        choices = " or ".join(str(d) for d in allowed) if len(allowed) <= 2 else f"{allowed[0]} to {allowed[-1]}"
        raise invalid(f"duration {duration} is not available for {model}: choose {choices} seconds.")
    size = body.get("size", "1280x720")
    if not isinstance(size, str) or size not in VIDEO_SIZES:
        raise invalid(f"size {size!r} is not supported. Choose one of: {', '.join(VIDEO_SIZES)}.")
    image = body.get("input_image")
    if image is not None and not isinstance(image, str):
        raise invalid("input_image must be a URL string.")
    return {"model": model, "prompt": prompt, "duration": duration, "size": VIDEO_SIZES[size], "input_image": image}


def validate_image(request, body, *, sync):
    _reject_unknown(body, IMAGE_FIELDS, request.GET)
    model = _require_model(body, IMAGE_MODELS, "image")
    prompt = _require_prompt(body)
    n = _integer(body, "n", 1)
    if not 1 <= n <= MAX_IMAGES:
        raise invalid(f"n must be between 1 and {MAX_IMAGES}, not {n}.")
    size = body.get("size", "1024x1024")
    if not isinstance(size, str) or size not in IMAGE_SIZES:
        raise invalid(f"size {size!r} is not supported. Choose one of: {', '.join(IMAGE_SIZES)}.")
    quality = body.get("quality", "auto")
    if quality not in QUALITIES:
        raise invalid(f"quality must be one of {', '.join(QUALITIES)}, not {quality!r}.")
    response_format = body.get("response_format", "url")
    if response_format not in RESPONSE_FORMATS:
        raise invalid(f"response_format must be url or b64_json, not {response_format!r}.")
    if not sync and response_format != "url":
        raise invalid("The async image route returns URLs: leave response_format out or set it to url.")
    return {
        "model": model,
        "prompt": prompt,
        "n": n,
        "size": IMAGE_SIZES[size],
        "quality": quality,
        "response_format": response_format,
    }


# ---------------------------------------------------------------- input images

_DATA_URL_RE = re.compile(r"data:(image/[a-z0-9.+-]+);base64,(.*)\Z", re.IGNORECASE | re.DOTALL)


def fetch_input_image(url):
    """The input image's bytes, fetched now and normalised (upright RGB JPEG); ApiError(400) if not."""
    if url.startswith("data:"):
        match = _DATA_URL_RE.match(url)
        if not match:
            raise invalid("input_image: a data URL must look like data:image/png;base64,....")
        encoded = match.group(2).strip()
        if len(encoded) > MAX_INPUT_BYTES * 4 // 3 + 4:
            raise invalid("input_image is larger than 10 MB.")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise invalid("input_image: the data URL is not valid base64.") from None
    elif url.startswith(("http://", "https://")):
        data = _download(url)
    else:
        raise invalid("input_image must be an http(s) URL or a data:image/...;base64 URL.")
    return normalise_image(data)


# One answer for every URL the sandbox will not or could not fetch, whatever the reason: it must not
# tell a caller what is listening where (a closed port, an HTTP status, a host it refuses).
NOT_FETCHED = (
    "input_image could not be fetched. The sandbox fetches only the studio's own picture links "
    "(SITE_URL/p/....jpg) and data:image/...;base64 URLs."
)


def is_studio_picture_url(url):
    """Whether `url` is the studio's signed picture link: SITE_URL's own address and the
    picture_for_pixapi route, nothing else (no other host, port, route, query or user info)."""
    try:
        site, parts = urlsplit(settings.SITE_URL), urlsplit(url)
    except ValueError:
        return False
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc) or parts.query or parts.fragment:
        return False
    if not parts.path.startswith(site.path + "/"):
        return False
    try:
        return resolve(parts.path[len(site.path) :]).url_name == "picture_for_pixapi"
    except Resolver404:
        return False


def _download(url):
    if not is_studio_picture_url(url):
        raise invalid(NOT_FETCHED)
    try:
        with httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=False) as client:
            with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise invalid(NOT_FETCHED)
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > MAX_INPUT_BYTES:
                    raise invalid("input_image is larger than 10 MB.")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_INPUT_BYTES:
                        raise invalid("input_image is larger than 10 MB.")
                    chunks.append(chunk)
                return b"".join(chunks)
    except (httpx.HTTPError, httpx.InvalidURL):
        raise invalid(NOT_FETCHED) from None


def normalise_image(data):
    try:
        picture = Image.open(io.BytesIO(data))
        if picture.format not in INPUT_FORMATS:
            raise invalid("input_image is not a JPEG, PNG or WebP image.")
        if picture.width * picture.height > MAX_INPUT_PIXELS:
            raise invalid("input_image has too many pixels (at most 40 megapixels).")
        picture = render.open_picture(data)
    except ApiError:
        raise
    except Exception:
        raise invalid("input_image is not an image we can read (JPEG, PNG or WebP).") from None
    picture.thumbnail((4096, 4096))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=92, subsampling=0)
    return out.getvalue()


def _describe_url(url):
    return url if not url.startswith("data:") else url[:40] + f"... ({len(url)} characters)"


# ---------------------------------------------------------------- routes


def _task_faults(call):
    return ",".join(call.faults.task_faults())


def _seconds(call):
    return call.faults.seconds if call.faults.seconds is not None else float(settings.PIXAPI_SANDBOX_SECONDS)


@endpoint("submit_video", "POST", json_body=True)
def submit_video(request, call):
    spec = validate_video(request, call.body)
    if spec["model"] in settings.PIXAPI_SANDBOX_DOWN_MODELS:  # an outage of one model, for failover's tests
        raise ApiError(503, "model_unavailable", "The model is temporarily unavailable. Please try again.")
    image = fetch_input_image(spec["input_image"]) if spec["input_image"] else None
    width, height = spec["size"]
    task = SandboxTask.objects.create(
        id=new_task_id(),
        api_key=call.key,
        kind=SandboxTask.KIND_VIDEO,
        model=spec["model"],
        prompt=spec["prompt"],
        duration=spec["duration"],
        width=width,
        height=height,
        input_image=image,
        input_image_url=_describe_url(spec["input_image"] or ""),
        seconds=_seconds(call),
        faults=_task_faults(call),
    )
    return JsonResponse(task.submit_payload())


@endpoint("submit_image", "POST", json_body=True)
def submit_image(request, call):
    spec = validate_image(request, call.body, sync=False)
    task = _image_task(call, spec, seconds=_seconds(call))
    return JsonResponse(task.submit_payload())


def _image_task(call, spec, seconds, faults=None, status="submitted"):
    width, height = spec["size"]
    return SandboxTask.objects.create(
        id=new_task_id(),
        api_key=call.key,
        kind=SandboxTask.KIND_IMAGE,
        model=spec["model"],
        prompt=spec["prompt"],
        n=spec["n"],
        width=width,
        height=height,
        quality=spec["quality"],
        seconds=seconds,
        faults=_task_faults(call) if faults is None else faults,
        status=status,
    )


@endpoint("images", "POST", json_body=True)
def images(request, call):
    spec = validate_image(request, call.body, sync=True)
    if spec["response_format"] == "b64_json":
        width, height = spec["size"]
        seed = render.seed_for(spec["prompt"], spec["model"], new_task_id())
        data = [
            {
                "b64_json": base64.b64encode(
                    render.png_bytes(
                        render.render_still(
                            width=width,
                            height=height,
                            prompt=fault_switches.strip_markers(spec["prompt"]),
                            model=spec["model"],
                            index=index,
                            count=spec["n"],
                            seed=seed,
                        )
                    )
                ).decode()
            }
            for index in range(spec["n"])
        ]
        return JsonResponse({"created": int(time.time()), "data": data})
    # A completed task of its own backs the signed URLs; of the task faults only expire-url means something here.
    task = _image_task(
        call, spec, seconds=0.0, faults="expire-url" if "expire-url" in call.faults else "", status="completed"
    )
    return JsonResponse(
        {"created": int(task.created_ts), "data": [{"url": url} for url in task.result_urls(call.file_url)]}
    )


@endpoint("get_task", "GET")
def get_task(request, call, task_id):
    task = None
    if TASK_ID_RE.fullmatch(task_id):
        task = SandboxTask.objects.defer("input_image").filter(pk=task_id, api_key=call.key).first()
    if task is None:
        raise ApiError(404, "not_found", f"No task {task_id!r} for this API key.")
    payload = task.as_api(call.file_url)
    task.record_status(payload["status"])
    return JsonResponse(payload)


@endpoint("models", "GET")
def models(request, call):
    data = [
        {
            "id": model_id,
            "object": "model",
            "type": "video",
            "name": spec["label"],
            "durations": spec["durations"],
            "default_duration": DEFAULT_DURATION,
            "sizes": list(VIDEO_SIZES),
            "input_image": True,
        }
        for model_id, spec in VIDEO_MODELS.items()
    ] + [
        {
            "id": model_id,
            "object": "model",
            "type": "image",
            "name": label,
            "sizes": list(IMAGE_SIZES),
            "max_n": MAX_IMAGES,
            "qualities": list(QUALITIES),
        }
        for model_id, label in IMAGE_MODELS.items()
    ]
    return JsonResponse({"object": "list", "data": data})


@csrf_exempt
def retired_sync(request):
    stats.count("retired_sync", bearer_key(request) or INVALID_KEY_LABEL)
    return error_response(
        ApiError(
            404,
            "not_found",
            "POST /v1/videos/generations is retired. Submit to POST /v1/async/videos/generations and poll "
            "GET /v1/tasks/{id}.",
        )
    )


@csrf_exempt
def unknown_route(request):
    return error_response(ApiError(404, "not_found", f"No route {request.method} {request.path}."))


_FILE_RE = re.compile(r"(task_[0-9A-Z]{26})(?:-([0-9]))?\.(mp4|png)")


def _file_task(name):
    match = _FILE_RE.fullmatch(name)
    # The input image is only read when the file has to be rendered (then Django fetches it).
    return SandboxTask.objects.defer("input_image").filter(pk=match.group(1)).first() if match else None


def _file_owner(name):
    match = _FILE_RE.fullmatch(name)
    if not match:
        return None
    return SandboxTask.objects.filter(pk=match.group(1)).values_list("api_key", flat=True).first()


def _signed(request, name):
    """A result file's URL is its key: its signature is checked before anything else."""
    expires, sig = request.GET.get("expires", ""), request.GET.get("sig", "")
    if not expires.isdigit() or not signature_ok(name, expires, sig):
        raise ApiError(403, "forbidden", "This URL's signature is not valid.", code="invalid_signature")


@endpoint("file", "GET", auth=False, owner=_file_owner, guard=_signed)
def result_file(request, call, name):
    task = _file_task(name)
    expires = request.GET["expires"]
    if int(expires) < time.time():
        raise ApiError(
            403, "forbidden", "This URL has expired. Fetch the task again for a fresh one.", code="url_expired"
        )
    if task is None or name not in task.file_names():
        raise ApiError(404, "not_found", "No such file.")
    if task.state()[0] != "completed":
        raise ApiError(404, "not_found", "This task has no result (yet).")
    content_type = "video/mp4" if name.endswith(".mp4") else "image/png"
    response = FileResponse(
        render.open_cached(name, functools.partial(_render_file, task, name)), content_type=content_type
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _render_file(task, name, path):
    prompt = fault_switches.strip_markers(task.prompt)
    seed = render.seed_for(prompt, task.model)
    # Within the contract's limits whatever the row says: 15 s at most, no side over 1920 pixels.
    width, height = min(task.width, MAX_SIDE), min(task.height, MAX_SIDE)
    if task.kind == SandboxTask.KIND_VIDEO:
        render.render_video(
            path,
            width=width,
            height=height,
            duration=max(1, min(task.duration, MAX_DURATION)),
            prompt=prompt,
            model=task.model,
            seed=seed,
            input_image=bytes(task.input_image) if task.input_image else None,
        )
    else:
        index = int(name.rsplit("-", 1)[1].split(".")[0])
        still = render.render_still(
            width=width, height=height, prompt=prompt, model=task.model, index=index, count=task.n, seed=seed
        )
        path.write_bytes(render.png_bytes(still))


# ---------------------------------------------------------------- test helpers over HTTP


@csrf_exempt
def sandbox_stats(request):
    if not bearer_key(request):
        return error_response(ApiError(401, "unauthorized", "Invalid API key."))
    if request.method != "GET":
        return error_response(ApiError(405, "method_not_allowed", "Use GET on this route."))
    return JsonResponse(stats.snapshot())


@csrf_exempt
def sandbox_reset(request):
    if not bearer_key(request):
        return error_response(ApiError(401, "unauthorized", "Invalid API key."))
    if request.method != "POST":
        return error_response(ApiError(405, "method_not_allowed", "Use POST on this route."))
    stats.reset()
    fault_switches.reset()
    return JsonResponse({"reset": True})
