"""The Pixapi sandbox, spoken to over real HTTP (live_server + httpx), as the studio's client would."""

import base64
import hashlib
import io
import json
import re
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit, urlunsplit

import av
import httpx
import pytest
from django.utils import timezone
from PIL import Image, ImageChops, ImageDraw, ImageStat

from generations.pixapi.sandbox import faults, render, stats
from generations.pixapi.sandbox.models import SandboxTask
from generations.pixapi.sandbox.ulid import TASK_ID_RE, new_task_id

KEY = "sk_sandbox_local"
OTHER_KEY = "sk_sandbox_someone_else"
STATUS_ORDER = ["submitted", "queued", "in_progress", "completed", "failed"]


@pytest.fixture
def sandbox(transactional_db, sandbox_url, settings, tmp_path):
    """An httpx client for the sandbox with the studio's key; short tasks, results in a temp folder."""
    settings.PIXAPI_SANDBOX_SECONDS = 0.5
    settings.PIXAPI_SANDBOX_FAULTS = ""
    settings.PIXAPI_SANDBOX_URL_TTL = 3600
    settings.PIXAPI_SANDBOX_SLOW_SECONDS = 0.8
    settings.PIXAPI_SANDBOX_DIR = tmp_path / "sandbox"
    faults.reset()
    stats.reset()
    with httpx.Client(base_url=sandbox_url + "/", headers={"Authorization": f"Bearer {KEY}"}, timeout=20) as client:
        yield client
    faults.reset()


def submit(client, headers=None, **body):
    body = {"model": "wan", "prompt": "A lighthouse at dusk", "duration": 2, "size": "720x1280", **body}
    return client.post("v1/async/videos/generations", json=body, headers=headers or {})


def wait_for(client, task_id, done=("completed", "failed"), timeout=15.0, seen=None):
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"v1/tasks/{task_id}")
        assert response.status_code == 200, response.text
        task = response.json()
        if seen is not None:
            seen.append(task)
        if task["status"] in done:
            return task
        assert time.monotonic() < deadline, f"task still {task['status']} after {timeout} s"
        time.sleep(0.03)


def assert_error(response, status, error_type, code=None, numeric=False):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == error_type
    assert error["code"] == (status if numeric else (code or error_type))
    assert error["message"]
    assert re.fullmatch(r"req_[0-9a-f]{24}", error["request_id"])
    return error


def png(colour_or_image, size=(64, 36)):
    image = colour_or_image if isinstance(colour_or_image, Image.Image) else Image.new("RGB", size, colour_or_image)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(data, mime="image/png"):
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


class Video:
    """What PyAV decodes from an MP4: its size, codec, pixel format, duration and frames."""

    def __init__(self, data):
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            self.codec, self.pix_fmt = stream.codec_context.name, stream.format.name
            self.width, self.height = stream.width, stream.height
            self.duration = container.duration / 1_000_000
            self.stream_duration = float(stream.duration * stream.time_base)
            decoded = list(container.decode(stream))
            self.frame_count = len(decoded)
            self.sizes = {(frame.width, frame.height) for frame in decoded}
            # Pictures of the first, the middle and the last frame (converting them all is slow).
            self.first, self.middle, self.last = (decoded[i].to_image() for i in (0, len(decoded) // 2, -1))


def mean(image, box=None):
    return ImageStat.Stat(image.crop(box) if box else image).mean


def close(colour, expected, tolerance=25):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


# ---------------------------------------------------------------- auth and accounts


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer sk_live_123", "Basic sk_sandbox_local", "sk_sandbox_local", "Bearer sk_sandbo"],
)
def test_a_missing_or_wrong_key_is_401(sandbox, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    client = httpx.Client(base_url=str(sandbox.base_url), headers=headers)
    for response in (client.get("v1/models"), submit(client), client.get(f"v1/tasks/{new_task_id()}")):
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "unauthorized" and error["message"] == "Invalid API key."


def test_each_key_is_its_own_account(sandbox):
    task_id = submit(sandbox).json()["id"]
    assert sandbox.get(f"v1/tasks/{task_id}").status_code == 200
    other = sandbox.get(f"v1/tasks/{task_id}", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert_error(other, 404, "not_found")
    assert_error(sandbox.get(f"v1/tasks/{new_task_id()}"), 404, "not_found")
    assert_error(sandbox.get("v1/tasks/not-a-task"), 404, "not_found")


# ---------------------------------------------------------------- submitting


def test_submit_answers_exactly_the_documented_shape(sandbox):
    before = int(time.time())
    response = submit(sandbox, model="veo", duration=5, size="1280x720")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "id", "progress", "created_at", "model"}
    assert body["status"] == "submitted" and body["progress"] == 0 and body["model"] == "veo"
    assert TASK_ID_RE.fullmatch(body["id"]) and len(body["id"]) == len("task_") + 26
    assert before <= body["created_at"] <= time.time()
    row = SandboxTask.objects.get(pk=body["id"])
    assert (row.model, row.duration, row.width, row.height, row.api_key) == ("veo", 5, 1280, 720, KEY)


def test_defaults_are_five_seconds_at_1280x720(sandbox):
    response = sandbox.post("v1/async/videos/generations", json={"model": "kling", "prompt": "Rain on a window"})
    assert response.status_code == 200
    row = SandboxTask.objects.get(pk=response.json()["id"])
    assert (row.duration, row.width, row.height) == (5, 1280, 720)


@pytest.mark.parametrize(
    "body, status, error_type, words",
    [
        ({"prompt": None}, 400, "invalid_request_error", "prompt is required"),
        ({"prompt": "   "}, 400, "invalid_request_error", "must not be empty"),
        ({"prompt": 42}, 400, "invalid_request_error", "prompt must be a string"),
        ({"prompt": "x" * 5001}, 400, "invalid_request_error", "at most 5000"),
        ({"model": None}, 400, "invalid_request_error", "model is required"),
        ({"model": "sora"}, 404, "model_not_found", "'sora'"),
        ({"model": "gpt-image-2"}, 404, "model_not_found", "video model"),
        ({"model": "veo", "duration": 3}, 400, "invalid_request_error", "choose 4 to 8"),
        ({"model": "veo", "duration": 9}, 400, "invalid_request_error", "not available for veo"),
        ({"model": "wan", "duration": 1}, 400, "invalid_request_error", "choose 2 to 15"),
        ({"model": "wan", "duration": 16}, 400, "invalid_request_error", "not available for wan"),
        ({"model": "kling", "duration": 7}, 400, "invalid_request_error", "choose 5 or 10"),
        ({"model": "veo", "duration": 5.5}, 400, "invalid_request_error", "whole number"),
        ({"model": "veo", "duration": "5"}, 400, "invalid_request_error", "must be a number"),
        ({"model": "veo", "duration": True}, 400, "invalid_request_error", "must be a number"),
        ({"size": "640x480"}, 400, "invalid_request_error", "size '640x480'"),
        ({"size": ["1280", "720"]}, 400, "invalid_request_error", "size"),
        ({"async": True}, 400, "invalid_request_error", "async"),
        ({"async": False}, 400, "invalid_request_error", "async"),
        ({"callback_url": "http://x"}, 400, "invalid_request_error", "Unknown field(s): callback_url"),
        ({"input_image": 12}, 400, "invalid_request_error", "input_image must be a URL"),
        ({"input_image": "ftp://example.com/a.png"}, 400, "invalid_request_error", "http(s) URL"),
        ({"input_image": "data:text/plain;base64,aGVsbG8="}, 400, "invalid_request_error", "data URL"),
        ({"input_image": "data:image/png;base64,aGVsbG8="}, 400, "invalid_request_error", "not an image"),
        ({"input_image": "data:image/png;base64,%%%"}, 400, "invalid_request_error", "not valid base64"),
        ({"input_image": "http://127.0.0.1:9/nothing.png"}, 400, "invalid_request_error", "could not be fetched"),
    ],
)
def test_invalid_submits_are_refused_with_a_clear_message(sandbox, body, status, error_type, words):
    payload = {"model": "wan", "prompt": "A lighthouse at dusk", "duration": 2, **body}
    payload = {k: v for k, v in payload.items() if v is not None}
    response = sandbox.post("v1/async/videos/generations", json=payload)
    error = assert_error(response, status, error_type)
    assert words in error["message"]
    assert not SandboxTask.objects.exists()


def test_an_input_image_url_that_is_not_an_image_is_refused(sandbox):
    # The models route answers JSON (and 401 without a key): neither is an image.
    url = f"{sandbox.base_url}v1/models"
    error = assert_error(submit(sandbox, input_image=url), 400, "invalid_request_error")
    assert "HTTP 401" in error["message"]


def test_async_in_the_query_and_a_non_json_body_are_refused(sandbox):
    body = {"model": "wan", "prompt": "x", "duration": 2}
    assert_error(sandbox.post("v1/async/videos/generations?async=true", json=body), 400, "invalid_request_error")
    response = sandbox.post("v1/async/videos/generations", data={"model": "wan", "prompt": "x"})
    assert "application/json" in assert_error(response, 400, "invalid_request_error")["message"]
    response = sandbox.post("v1/async/videos/generations", content=b"{nope", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_request_error")


def test_the_retired_sync_route_is_404(sandbox):
    response = sandbox.post("v1/videos/generations", json={"model": "veo", "prompt": "x"})
    assert "retired" in assert_error(response, 404, "not_found")["message"]
    assert stats.snapshot()["routes"]["retired_sync"] == 1


def test_wrong_method_and_unknown_routes(sandbox):
    assert_error(sandbox.get("v1/async/videos/generations"), 405, "method_not_allowed")
    assert_error(sandbox.post("v1/async/videos/generations/", json={}), 404, "not_found")
    assert_error(sandbox.get("v2/tasks"), 404, "not_found")


# ---------------------------------------------------------------- progress over time


def test_status_runs_submitted_queued_in_progress_completed(sandbox, settings):
    settings.PIXAPI_SANDBOX_SECONDS = 1.0
    created = submit(sandbox).json()
    seen = []
    final = wait_for(sandbox, created["id"], seen=seen)
    statuses = [created["status"]] + [task["status"] for task in seen]
    ranks = [STATUS_ORDER.index(s) for s in statuses]
    assert ranks == sorted(ranks), statuses
    assert statuses[0] == "submitted" and statuses[-1] == "completed" and "in_progress" in statuses
    progress = [task["progress"] for task in seen]
    assert progress == sorted(progress) and all(isinstance(p, int) for p in progress)
    assert all(1 <= t["progress"] <= 99 for t in seen if t["status"] == "in_progress")
    assert len({t["progress"] for t in seen if t["status"] == "in_progress"}) > 3  # it really moves
    assert all("result" not in t and "error" not in t for t in seen[:-1])
    assert final["progress"] == 100 and "error" not in final
    assert final["completed_at"] >= final["created_at"] == created["created_at"]
    assert set(final) == {"id", "status", "progress", "created_at", "model", "completed_at", "result"}
    assert final["result"]["created"] == final["completed_at"]
    [item] = final["result"]["data"]
    assert re.search(r"/pixapi-sandbox/files/task_\w{26}\.mp4\?expires=\d+&sig=[0-9a-f]+$", item["url"])


@pytest.mark.parametrize(
    "elapsed, status, progress",
    [(0.5, "submitted", 0), (6, "queued", 0), (50, "in_progress", 50), (99.5, "in_progress", 99),
     (100.5, "completed", 100)],
)
def test_the_clock_decides_the_status(sandbox, elapsed, status, progress):
    task_id = submit(sandbox, prompt="A slow one [sandbox:seconds=100]").json()["id"]
    SandboxTask.objects.filter(pk=task_id).update(created_at=timezone.now() - timedelta(seconds=elapsed))
    task = sandbox.get(f"v1/tasks/{task_id}").json()
    assert (task["status"], task["progress"]) == (status, progress)
    assert SandboxTask.objects.get(pk=task_id).status == status


def test_state_lives_in_the_database(sandbox):
    task_id = submit(sandbox, prompt="A kite over the dunes").json()["id"]
    row = SandboxTask.objects.get(pk=task_id)
    assert (row.status, row.prompt, row.seconds, row.api_key) == ("submitted", "A kite over the dunes", 0.5, KEY)
    time.sleep(0.55)
    # A fresh connection, after the time has passed: the answer comes from the row and the clock alone.
    with httpx.Client(base_url=str(sandbox.base_url), headers={"Authorization": f"Bearer {KEY}"}) as fresh:
        assert fresh.get(f"v1/tasks/{task_id}").json()["status"] == "completed"
    assert SandboxTask.objects.get(pk=task_id).status == "completed"
    # A task created long ago (say, before a restart) is simply finished.
    old_id = submit(sandbox, prompt="From before the restart").json()["id"]
    SandboxTask.objects.filter(pk=old_id).update(seconds=3600.0)
    assert sandbox.get(f"v1/tasks/{old_id}").json()["status"] in ("submitted", "queued", "in_progress")
    SandboxTask.objects.filter(pk=old_id).update(created_at=row.created_at.replace(year=row.created_at.year - 1))
    assert sandbox.get(f"v1/tasks/{old_id}").json()["status"] == "completed"


# ---------------------------------------------------------------- result files


def test_the_result_is_a_real_h264_video_of_the_requested_size_and_length(sandbox):
    task_id = submit(sandbox, model="wan", duration=2, size="720x1280").json()["id"]
    url = wait_for(sandbox, task_id)["result"]["data"][0]["url"]
    response = httpx.get(url)  # a plain URL: no key needed
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "video/mp4"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert response.content.find(b"moov") < response.content.find(b"mdat")  # faststart: plays progressively
    video = Video(response.content)
    assert (video.codec, video.pix_fmt) == ("h264", "yuv420p")
    assert (video.width, video.height) == (720, 1280)
    assert video.sizes == {(720, 1280)} and video.frame_count == 48
    assert abs(video.duration - 2) <= 0.2 and abs(video.stream_duration - 2) <= 0.2
    assert ImageStat.Stat(ImageChops.difference(video.first, video.last)).mean[0] > 1  # animated
    # The second download comes from the cache: the same bytes.
    assert httpx.get(url).content == response.content


def test_a_ratio_size_renders_at_its_pixel_size(sandbox):
    task_id = submit(sandbox, model="veo", duration=4, size="9:16").json()["id"]
    url = wait_for(sandbox, task_id)["result"]["data"][0]["url"]
    video = Video(httpx.get(url).content)
    assert (video.width, video.height) == (720, 1280) and video.frame_count == 96
    assert abs(video.duration - 4) <= 0.2


def test_image_to_video_moves_the_input_image(sandbox):
    picture = Image.new("RGB", (640, 360), (210, 40, 40))
    ImageDraw.Draw(picture).rectangle((320, 0, 640, 360), fill=(40, 60, 210))
    ImageDraw.Draw(picture).ellipse((250, 120, 390, 240), fill=(250, 250, 250))
    task_id = submit(sandbox, size="1280x720", input_image=data_url(png(picture))).json()["id"]
    url = wait_for(sandbox, task_id)["result"]["data"][0]["url"]
    video = Video(httpx.get(url).content)
    assert (video.width, video.height) == (1280, 720)
    for frame in (video.first, video.middle, video.last):
        assert close(mean(frame, (0, 0, 200, 720)), (210, 40, 40)), mean(frame, (0, 0, 200, 720))
        assert close(mean(frame, (1080, 0, 1280, 720)), (40, 60, 210)), mean(frame, (1080, 0, 1280, 720))
    # Ken Burns: the picture visibly pans/zooms between the first and the last frame.
    assert ImageStat.Stat(ImageChops.difference(video.first, video.last)).mean[0] > 3


def test_a_solid_input_image_gives_a_video_of_its_colour(sandbox):
    task_id = submit(sandbox, input_image=data_url(png((30, 160, 90)), "image/png")).json()["id"]
    url = wait_for(sandbox, task_id)["result"]["data"][0]["url"]
    assert close(mean(Video(httpx.get(url).content).middle), (30, 160, 90), tolerance=8)


def test_the_input_image_is_fetched_over_http_at_submit(sandbox):
    image_url = sandbox.post(
        "v1/images/generations", json={"model": "gemini-2.5-flash-image", "prompt": "A red door", "size": "720x1280"}
    ).json()["data"][0]["url"]
    response = submit(sandbox, input_image=image_url)
    assert response.status_code == 200, response.text
    row = SandboxTask.objects.get(pk=response.json()["id"])
    assert Image.open(io.BytesIO(bytes(row.input_image))).size == (720, 1280)
    assert row.input_image_url == image_url


def test_concurrent_downloads_render_once(sandbox, monkeypatch):
    renders = []
    original = render.render_video

    def counting(*args, **kwargs):
        renders.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(render, "render_video", counting)
    task_id = submit(sandbox).json()["id"]
    url = wait_for(sandbox, task_id)["result"]["data"][0]["url"]
    bodies = []
    threads = [threading.Thread(target=lambda: bodies.append(httpx.get(url, timeout=20).content)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(renders) == 1
    assert len(bodies) == 3 and len(set(bodies)) == 1 and bodies[0][4:8] == b"ftyp"


def _with_query(url, **changes):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    query = {k: v for k, v in query.items() if v is not None}
    return urlunsplit(parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())))


def test_result_urls_are_signed_and_expire(sandbox, settings):
    settings.PIXAPI_SANDBOX_URL_TTL = 1
    body = {"model": "gemini-2.5-flash-image", "prompt": "A tiny boat", "size": "720x1280"}
    url = sandbox.post("v1/images/generations", json=body).json()["data"][0]["url"]
    assert httpx.get(url).status_code == 200
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    assert_error(httpx.get(_with_query(url, sig="0" * 64)), 403, "forbidden", code="invalid_signature")
    assert_error(httpx.get(_with_query(url, expires=expires + 3600)), 403, "forbidden", code="invalid_signature")
    assert_error(httpx.get(_with_query(url, sig=None)), 403, "forbidden", code="invalid_signature")
    time.sleep(max(0.0, expires - time.time()) + 1.05)
    assert_error(httpx.get(url), 403, "forbidden", code="url_expired")


# ---------------------------------------------------------------- images


def test_sync_images_are_real_distinct_pngs(sandbox):
    body = {"model": "gpt-image-2", "prompt": "A cabin in the snow", "n": 3, "size": "1024x1536", "quality": "high"}
    response = sandbox.post("v1/images/generations", json=body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert set(payload) == {"created", "data"} and abs(payload["created"] - time.time()) < 5
    assert len(payload["data"]) == 3 and all(set(item) == {"url"} for item in payload["data"])
    digests = set()
    for item in payload["data"]:
        file = httpx.get(item["url"])
        assert file.status_code == 200 and file.headers["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(file.content))
        assert image.format == "PNG" and image.size == (1024, 1536)
        digests.add(hashlib.sha256(image.tobytes()).hexdigest())
    assert len(digests) == 3


def test_sync_images_as_base64(sandbox):
    body = {"model": "gemini-2.5-flash-image", "prompt": "Lemons", "n": 2, "size": "1536x1024",
            "response_format": "b64_json"}
    payload = sandbox.post("v1/images/generations", json=body).json()
    images = [Image.open(io.BytesIO(base64.b64decode(item["b64_json"]))) for item in payload["data"]]
    assert [(i.format, i.size) for i in images] == [("PNG", (1536, 1024))] * 2
    assert images[0].tobytes() != images[1].tobytes()


@pytest.mark.parametrize(
    "change, status, words",
    [
        ({"model": "dall-e-3"}, 404, "dall-e-3"),
        ({"n": 5}, 400, "between 1 and 4"),
        ({"n": 0}, 400, "between 1 and 4"),
        ({"size": "999x999"}, 400, "999x999"),
        ({"quality": "ultra"}, 400, "quality"),
        ({"response_format": "jpeg"}, 400, "response_format"),
        ({"prompt": ""}, 400, "empty"),
    ],
)
def test_invalid_image_requests(sandbox, change, status, words):
    body = {"model": "gpt-image-2", "prompt": "A cat", **change}
    response = sandbox.post("v1/images/generations", json=body)
    assert response.status_code == status
    assert words in response.json()["error"]["message"]


def test_async_images_complete_with_image_urls(sandbox):
    body = {"model": "gemini-2.5-flash-image", "prompt": "A paper crane", "n": 2, "size": "720x1280"}
    created = sandbox.post("v1/async/images/generations", json=body).json()
    assert created["status"] == "submitted" and TASK_ID_RE.fullmatch(created["id"])
    final = wait_for(sandbox, created["id"])
    assert final["status"] == "completed" and len(final["result"]["data"]) == 2
    for item in final["result"]["data"]:
        assert Image.open(io.BytesIO(httpx.get(item["url"]).content)).size == (720, 1280)
    body["response_format"] = "b64_json"
    assert_error(sandbox.post("v1/async/images/generations", json=body), 400, "invalid_request_error")


def test_models_lists_video_and_image_models(sandbox):
    data = sandbox.get("v1/models").json()["data"]
    kinds = {model["id"]: model["type"] for model in data}
    assert kinds == {"veo": "video", "wan": "video", "kling": "video",
                     "gemini-2.5-flash-image": "image", "gpt-image-2": "image"}
    durations = {model["id"]: model["durations"] for model in data if model["type"] == "video"}
    assert durations["kling"] == [5, 10] and durations["veo"] == [4, 5, 6, 7, 8]


# ---------------------------------------------------------------- faults

ERROR_FAULTS = [
    ("unauthorized", 401, "unauthorized"),
    ("insufficient-credits", 402, "insufficient_credits"),
    ("prompt-rejected", 422, "prompt_rejected"),
    ("model-not-found", 404, "model_not_found"),
    ("rate-limited", 429, "rate_limited"),
    ("rate-limited-no-retry-after", 429, "rate_limited"),
    ("internal-error", 500, "internal_error"),
    ("unavailable", 503, "model_unavailable"),
]


def _switch_on(way, name, settings, scope="submit"):
    """Submit kwargs (prompt/headers) that switch `name` on the given way; run faults go into settings."""
    if way == "header":
        return {"headers": {"X-Sandbox-Fault": name}}
    if way == "prompt":
        return {"prompt": f"A lighthouse at dusk [sandbox:{name}]"}
    settings.PIXAPI_SANDBOX_FAULTS = f"{scope}:{name}"
    return {}


@pytest.mark.parametrize("way", ["header", "prompt", "run"])
@pytest.mark.parametrize("name, status, error_type", ERROR_FAULTS)
def test_error_faults_each_way(sandbox, settings, way, name, status, error_type):
    response = submit(sandbox, **_switch_on(way, name, settings))
    assert_error(response, status, error_type)
    assert ("Retry-After" in response.headers) == (name == "rate-limited")
    if name == "rate-limited":
        assert response.headers["Retry-After"] == "1"
    assert not SandboxTask.objects.exists()


@pytest.mark.parametrize("way", ["header", "prompt", "run"])
def test_numeric_codes_each_way(sandbox, settings, way):
    if way == "header":
        response = submit(sandbox, headers={"X-Sandbox-Fault": "numeric-codes, rate-limited"})
    elif way == "prompt":
        response = submit(sandbox, prompt="Hi [sandbox:numeric-codes] [sandbox:rate-limited]")
    else:
        settings.PIXAPI_SANDBOX_FAULTS = "numeric-codes,submit:rate-limited"
        response = submit(sandbox)
    error = assert_error(response, 429, "rate_limited", numeric=True)
    assert set(error) == {"code", "type", "message", "request_id"}
    # It changes ordinary errors too.
    settings.PIXAPI_SANDBOX_FAULTS = ""
    response = submit(sandbox, model="sora", headers={"X-Sandbox-Fault": "numeric-codes"})
    assert_error(response, 404, "model_not_found", numeric=True)


def test_string_codes_are_the_default(sandbox):
    error = assert_error(submit(sandbox, headers={"X-Sandbox-Fault": "rate-limited"}), 429, "rate_limited")
    assert set(error) == {"code", "type", "message", "request_id"}


def test_request_faults_apply_on_every_route(sandbox):
    task_id = submit(sandbox).json()["id"]
    fault = {"X-Sandbox-Fault": "unavailable"}
    assert_error(sandbox.get(f"v1/tasks/{task_id}", headers=fault), 503, "model_unavailable")
    assert_error(sandbox.get("v1/models", headers=fault), 503, "model_unavailable")
    body = {"model": "gpt-image-2", "prompt": "x"}
    assert_error(sandbox.post("v1/images/generations", json=body, headers=fault), 503, "model_unavailable")
    assert_error(sandbox.post("v1/async/images/generations", json=body, headers=fault), 503, "model_unavailable")


@pytest.mark.parametrize("way", ["header", "prompt", "run"])
def test_slow_answers_late_but_creates_the_task(sandbox, settings, way):
    settings.PIXAPI_SANDBOX_SLOW_SECONDS = 0.8
    kwargs = _switch_on(way, "slow", settings)
    with pytest.raises(httpx.ReadTimeout):
        sandbox.post(
            "v1/async/videos/generations",
            json={"model": "wan", "prompt": kwargs.get("prompt", "A slow one"), "duration": 2},
            headers=kwargs.get("headers", {}),
            timeout=httpx.Timeout(5, read=0.25),
        )
    assert SandboxTask.objects.count() == 1  # the outcome the client could not see
    # With patience, the answer comes and is normal.
    settings.PIXAPI_SANDBOX_SLOW_SECONDS = 0.3
    started = time.monotonic()
    response = submit(sandbox, **_switch_on(way, "slow", settings))
    assert response.status_code == 200 and time.monotonic() - started >= 0.3


@pytest.mark.parametrize("way", ["header", "prompt", "run"])
def test_drop_creates_the_task_then_breaks_the_connection(sandbox, settings, way):
    with pytest.raises(httpx.TransportError) as raised:
        submit(sandbox, **_switch_on(way, "drop", settings))
    assert isinstance(raised.value, httpx.RemoteProtocolError)
    [row] = SandboxTask.objects.all()
    settings.PIXAPI_SANDBOX_FAULTS = ""
    assert sandbox.get(f"v1/tasks/{row.id}").status_code == 200  # the client can still find it


def test_drop_on_a_poll_and_on_a_download(sandbox):
    task_id = submit(sandbox).json()["id"]
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox.get(f"v1/tasks/{task_id}", headers={"X-Sandbox-Fault": "drop"})
    url = wait_for(sandbox, task_id)["result"]["data"][0]["url"]
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url, headers={"X-Sandbox-Fault": "drop"})
    assert httpx.get(url).status_code == 200


@pytest.mark.parametrize("way", ["header", "prompt", "run"])
def test_malformed_json_is_a_200_that_does_not_parse(sandbox, settings, way):
    response = submit(sandbox, **_switch_on(way, "malformed-json", settings))
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert SandboxTask.objects.count() == 1


def test_malformed_json_on_polls_by_run_setting(sandbox, settings):
    task_id = submit(sandbox).json()["id"]
    settings.PIXAPI_SANDBOX_FAULTS = "poll:malformed-json*1"
    with pytest.raises(json.JSONDecodeError):
        sandbox.get(f"v1/tasks/{task_id}").json()
    assert sandbox.get(f"v1/tasks/{task_id}").json()["id"] == task_id


def test_a_rate_limit_burst_hits_only_the_next_n_polls(sandbox, settings):
    task_id = submit(sandbox).json()["id"]
    settings.PIXAPI_SANDBOX_FAULTS = "poll:rate-limited*3,models:rate-limited-no-retry-after*1"
    for _ in range(3):
        response = sandbox.get(f"v1/tasks/{task_id}")
        assert_error(response, 429, "rate_limited")
        assert response.headers["Retry-After"] == "1"
    assert sandbox.get(f"v1/tasks/{task_id}").status_code == 200
    assert submit(sandbox).status_code == 200  # the poll scope leaves submits alone
    response = sandbox.get("v1/models")
    assert response.status_code == 429 and "Retry-After" not in response.headers
    assert sandbox.get("v1/models").status_code == 200
    # faults.reset() re-arms the bursts.
    faults.reset()
    assert sandbox.get(f"v1/tasks/{task_id}").status_code == 429


def test_an_unscoped_run_fault_hits_every_route(sandbox, settings):
    settings.PIXAPI_SANDBOX_FAULTS = "internal-error*2"
    assert_error(sandbox.get("v1/models"), 500, "internal_error")
    assert_error(submit(sandbox), 500, "internal_error")
    assert submit(sandbox).status_code == 200


def test_unknown_fault_names_are_refused_loudly(sandbox, settings):
    error = assert_error(submit(sandbox, headers={"X-Sandbox-Fault": "explode"}), 400, "invalid_request_error")
    assert "explode" in error["message"] and "rate-limited" in error["message"]
    assert "explode" in assert_error(submit(sandbox, prompt="[sandbox:explode]"), 400, "invalid_request_error")[
        "message"
    ]
    settings.PIXAPI_SANDBOX_FAULTS = "submit:explode"
    assert "PIXAPI_SANDBOX_FAULTS" in assert_error(submit(sandbox), 500, "internal_error")["message"]


@pytest.mark.parametrize("way", ["header", "prompt", "run"])
def test_never_finish_stalls_below_100(sandbox, settings, way):
    settings.PIXAPI_SANDBOX_SECONDS = 0.2
    task_id = submit(sandbox, **_switch_on(way, "never-finish", settings)).json()["id"]
    settings.PIXAPI_SANDBOX_FAULTS = ""
    time.sleep(0.3)
    first = sandbox.get(f"v1/tasks/{task_id}").json()
    time.sleep(0.2)
    later = sandbox.get(f"v1/tasks/{task_id}").json()
    for task in (first, later):
        assert task["status"] == "in_progress" and 0 < task["progress"] < 100
        assert "result" not in task and "completed_at" not in task
    assert later["progress"] == first["progress"]  # stalled


@pytest.mark.parametrize("way", ["header", "prompt", "run"])
@pytest.mark.parametrize(
    "name, code, words",
    [("fail-rejected", "prompt_rejected", "rejected by moderation"), ("fail-internal", "internal_error", "failed")],
)
def test_tasks_can_fail_after_acceptance(sandbox, settings, way, name, code, words):
    settings.PIXAPI_SANDBOX_SECONDS = 0.15
    created = submit(sandbox, **_switch_on(way, name, settings))
    assert created.status_code == 200 and created.json()["status"] == "submitted"
    final = wait_for(sandbox, created.json()["id"])
    assert final["status"] == "failed" and "result" not in final
    assert final["error"]["code"] == code and words in final["error"]["message"]
    assert "completed_at" in final


@pytest.mark.parametrize("way", ["header", "prompt", "run"])
def test_expire_url_gives_a_result_url_that_is_already_403(sandbox, settings, way):
    settings.PIXAPI_SANDBOX_SECONDS = 0.2
    task_id = submit(sandbox, **_switch_on(way, "expire-url", settings)).json()["id"]
    final = wait_for(sandbox, task_id)
    assert final["status"] == "completed"
    assert_error(httpx.get(final["result"]["data"][0]["url"]), 403, "forbidden", code="url_expired")


def test_a_prompt_marker_sets_the_task_time_and_several_markers_combine(sandbox):
    response = submit(sandbox, prompt="Waves [sandbox:seconds=0.2] on rocks [sandbox:expire-url,fail-internal]")
    row = SandboxTask.objects.get(pk=response.json()["id"])
    assert row.seconds == 0.2 and row.fault_set == {"expire-url", "fail-internal"}
    assert wait_for(sandbox, row.id, timeout=2)["status"] == "failed"
    response = submit(sandbox, headers={"X-Sandbox-Fault": "seconds=7.5"})
    assert SandboxTask.objects.get(pk=response.json()["id"]).seconds == 7.5


def test_markers_are_not_drawn_in_the_video(sandbox):
    assert faults.strip_markers("A fox [sandbox:seconds=1]  in snow [sandbox:slow]") == "A fox in snow"


def test_file_faults_by_run_setting(sandbox, settings):
    task_id = submit(sandbox, prompt="x [sandbox:seconds=0.1]").json()["id"]
    url = wait_for(sandbox, task_id)["result"]["data"][0]["url"]
    settings.PIXAPI_SANDBOX_FAULTS = "file:internal-error*1"
    assert_error(httpx.get(url), 500, "internal_error")
    settings.PIXAPI_SANDBOX_FAULTS = "file:malformed-json*1"
    spoilt = httpx.get(url)
    assert spoilt.status_code == 200 and spoilt.headers["Content-Type"] == "video/mp4"
    with pytest.raises(av.error.InvalidDataError):
        av.open(io.BytesIO(spoilt.content))
    assert httpx.get(url).content[4:8] == b"ftyp"


# ---------------------------------------------------------------- the run setting, parsed


def test_run_setting_parsing():
    entries = faults.parse_run(" poll:rate-limited*3, submit:unavailable ,drop, seconds=2.5*1")
    assert [(e.scope, e.name, e.count) for e in entries] == [
        ("poll", "rate-limited", 3),
        ("submit", "unavailable", None),
        (None, "drop", None),
        (None, "seconds", 1),
    ]
    assert entries[3].seconds == 2.5
    for bad in ("poll:explode", "nowhere:slow", "slow*0", "slow*x"):
        with pytest.raises(faults.FaultError):
            faults.parse_run(bad)


def test_run_bursts_are_counted_per_matching_request(settings):
    faults.reset()
    settings.PIXAPI_SANDBOX_FAULTS = "submit:drop*2,never-finish*1"
    assert faults.from_run("get_task").names == set()  # neither matches a poll
    assert faults.from_run("submit_video").names == {"drop", "never-finish"}
    assert faults.from_run("submit_image").names == {"drop"}
    assert faults.from_run("submit_video").names == set()
    settings.PIXAPI_SANDBOX_FAULTS = "images:slow*1"  # a new value re-arms
    assert faults.from_run("images").names == {"slow"}
    assert faults.from_run("submit_image").names == set()
    faults.reset()


def test_task_ids_are_ulids_that_sort_by_time():
    earlier, later = new_task_id(1_700_000_000), new_task_id(1_700_000_001)
    assert TASK_ID_RE.fullmatch(earlier) and earlier < later


# ---------------------------------------------------------------- the request counter


def test_the_counter_counts_routes_and_keys(sandbox):
    sandbox.post("_sandbox/reset")
    task_id = submit(sandbox).json()["id"]
    submit(sandbox, headers={"X-Sandbox-Fault": "rate-limited"})
    for _ in range(3):
        sandbox.get(f"v1/tasks/{task_id}")
    sandbox.get("v1/models", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    sandbox.post("v1/async/images/generations", json={"model": "gpt-image-2", "prompt": "x"})
    httpx.get(f"{sandbox.base_url}v1/models")  # no key
    snapshot = stats.snapshot()
    assert snapshot["routes"] == {
        "submit_video": 2, "get_task": 3, "images": 0, "submit_image": 1, "models": 2, "file": 0, "retired_sync": 0,
    }
    assert snapshot["keys"] == {KEY: 6, OTHER_KEY: 1, "(invalid key)": 1}
    assert snapshot["total"] == 8
    over_http = sandbox.get("_sandbox/stats")
    assert over_http.json() == snapshot  # the stats route does not count itself
    assert sandbox.post("_sandbox/reset").json() == {"reset": True}
    assert stats.snapshot()["total"] == 0
    assert httpx.get(f"{sandbox.base_url}_sandbox/stats").status_code == 401
