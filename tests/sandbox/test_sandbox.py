"""The Pixapi sandbox, spoken to over real HTTP (live_server + httpx), as the studio's client would."""

import base64
import hashlib
import io
import json
import os
import re
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit, urlunsplit

import av
import httpx
import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from PIL import Image, ImageChops, ImageDraw, ImageStat

from sandbox import faults, render, stats
from sandbox.models import SandboxTask
from sandbox.ulid import TASK_ID_RE, new_task_id

KEY = django_settings.PIXAPI_SANDBOX_KEY
RENDER_SECONDS = 60  # the first download renders the video: real work, slow on a busy machine
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
    [
        None,
        "Bearer",
        "Bearer sk_live_123",
        f"Basic {KEY}",
        KEY,
        f"Bearer {KEY[:-1]}",
        f"Bearer {OTHER_KEY}",
        "Bearer sk_sandbox_local",
    ],
)
def test_a_missing_or_wrong_key_is_401(sandbox, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    client = httpx.Client(base_url=str(sandbox.base_url), headers=headers)
    for response in (client.get("v1/models"), submit(client), client.get(f"v1/tasks/{new_task_id()}")):
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "unauthorized" and error["message"] == "Invalid API key."


def test_only_the_sandbox_key_is_accepted(sandbox):
    task_id = submit(sandbox).json()["id"]
    assert sandbox.get(f"v1/tasks/{task_id}").status_code == 200
    other = sandbox.get(f"v1/tasks/{task_id}", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert_error(other, 401, "unauthorized")
    assert_error(submit(sandbox, headers={"Authorization": f"Bearer {OTHER_KEY}"}), 401, "unauthorized")
    assert SandboxTask.objects.count() == 1
    assert_error(sandbox.get(f"v1/tasks/{new_task_id()}"), 404, "not_found")
    assert_error(sandbox.get("v1/tasks/not-a-task"), 404, "not_found")


def test_a_request_without_the_key_meets_no_fault_no_fetch_and_no_render(sandbox, settings, monkeypatch):
    settings.PIXAPI_SANDBOX_SLOW_SECONDS = 5
    settings.PIXAPI_SANDBOX_FAULTS = "submit:rate-limited*1"
    stranger = httpx.Client(base_url=str(sandbox.base_url), headers={"Authorization": f"Bearer {OTHER_KEY}"})
    fetched, renders = [], []
    real_client = httpx.Client
    monkeypatch.setattr(httpx, "Client", lambda *a, **kw: fetched.append(kw) or real_client(*a, **kw))
    monkeypatch.setattr(render, "render_video", lambda *a, **kw: renders.append(1))
    done = SandboxTask.objects.create(
        id=new_task_id(),
        api_key=KEY,
        kind="video",
        model="wan",
        prompt="p",
        duration=2,
        width=1280,
        height=720,
        seconds=0,
    )
    [file_url] = done.result_urls(lambda name: f"{sandbox.base_url}files/{name}")
    slow = {"X-Sandbox-Fault": "slow,drop,malformed-json"}
    started = time.monotonic()
    answers = [
        stranger.post(
            "v1/async/videos/generations",
            headers=slow,
            json={"model": "wan", "prompt": "x [sandbox:slow]", "input_image": "http://127.0.0.1:9/p/x.jpg"},
        ),
        stranger.get("v1/models", headers=slow),
        httpx.get(f"{sandbox.base_url}v1/models", headers=slow),  # no key at all
        httpx.get(_with_query(file_url, sig="0" * 64), headers=slow),  # a file URL with a forged signature
    ]
    assert time.monotonic() - started < 3  # no `slow`
    assert [a.status_code for a in answers] == [401, 401, 401, 403]  # no drop, no malformed JSON
    assert all(a.json()["error"]["type"] in ("unauthorized", "forbidden") for a in answers)
    assert fetched == [] and renders == [] and not SandboxTask.objects.exclude(pk=done.pk).exists()
    # The burst of the run setting was not spent on them: the studio's own key meets it.
    assert_error(submit(sandbox), 429, "rate_limited")
    assert submit(sandbox).status_code == 200


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


class FakeStudio:
    """A stand-in for the studio's own address (SITE_URL) that answers its picture route badly:
    /p/redirect.jpg with a redirect, /p/broken.jpg with a 500, /p/text.jpg with text."""

    def __init__(self, picture_url):
        import http.server

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(handler):
                self.requests.append(handler.path)
                if handler.path == "/p/redirect.jpg":
                    handler.send_response(302)
                    handler.send_header("Location", picture_url)
                    handler.send_header("Content-Length", "0")
                    handler.end_headers()
                elif handler.path == "/p/text.jpg":
                    handler.send_response(200)
                    handler.send_header("Content-Length", "5")
                    handler.end_headers()
                    handler.wfile.write(b"hello")
                else:
                    handler.send_response(500)
                    handler.send_header("Content-Length", "0")
                    handler.end_headers()

            def log_message(handler, *args):
                pass

        self.requests = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def picture_link(owner, status="submitted"):
    """The studio's own signed link to a picture of a generation waiting for Pixapi, as its client sends it."""
    from catalog.models import CatalogModel
    from generations import pictures
    from generations.models import Generation, Picture

    wan = CatalogModel.objects.get(slug="wan")
    picture = pictures.keep(owner, Image.new("RGB", (300, 200), (30, 160, 90)), Picture.UPLOAD)
    gen = Generation.objects.create(
        user=owner,
        model=wan,
        prompt="p",
        full_prompt="p",
        duration=2,
        size="720x1280",
        status=status,
        cost=wan.price(2, "720x1280"),
        start=Generation.Start.IMAGE,
        input_picture=picture,
    )
    return pictures.input_image_for(gen)


def test_the_input_image_is_fetched_from_the_studios_picture_link(sandbox, owner, media_root):
    link = picture_link(owner)
    response = submit(sandbox, input_image=link)
    assert response.status_code == 200, response.text
    row = SandboxTask.objects.get(pk=response.json()["id"])
    picture = Image.open(io.BytesIO(bytes(row.input_image)))
    assert picture.size == (720, 1280) and close(mean(picture), (30, 160, 90))
    assert row.input_image_url == link


def test_every_input_image_url_it_will_not_or_cannot_fetch_gets_the_same_words(
    sandbox, owner, media_root, settings, monkeypatch
):
    link = picture_link(owner)
    sandbox_file = sandbox.post(
        "v1/images/generations", json={"model": "gemini-2.5-flash-image", "prompt": "A red door"}
    ).json()["data"][0]["url"]
    studio = settings.SITE_URL
    path = link.removeprefix(studio)
    fetched = []
    real_client = httpx.Client
    monkeypatch.setattr(httpx, "Client", lambda *a, **kw: fetched.append(kw) or real_client(*a, **kw))
    refused = [
        "http://example.com/p/abc.jpg",  # another host
        studio.replace("localhost", "127.0.0.1") + path,  # the same machine by another name
        studio.rsplit(":", 1)[0] + f":{closed_port()}" + path,  # the same host, another port
        "http://10.0.0.1" + path,  # a private address
        "http://169.254.169.254/latest/meta-data/",  # link-local metadata
        sandbox_file,  # the studio's own server, another route
        f"{studio}/admin/",
        link + "?x=1",
        f"http://user@{studio.removeprefix('http://')}{path}",
    ]
    messages = set()
    for url in refused:
        messages.add(assert_error(submit(sandbox, input_image=url), 400, "invalid_request_error")["message"])
    assert fetched == []  # none of them was even tried

    fake = FakeStudio(link)
    try:
        # The studio's own address, but its answers are a redirect, a 500, a closed port.
        settings.SITE_URL = fake.url
        for url in (f"{fake.url}/p/redirect.jpg", f"{fake.url}/p/broken.jpg"):
            messages.add(assert_error(submit(sandbox, input_image=url), 400, "invalid_request_error")["message"])
        assert fake.requests == ["/p/redirect.jpg", "/p/broken.jpg"]  # the redirect was not followed
        settings.SITE_URL = f"http://127.0.0.1:{closed_port()}"
        url = f"{settings.SITE_URL}/p/abc.jpg"
        messages.add(assert_error(submit(sandbox, input_image=url), 400, "invalid_request_error")["message"])
        settings.SITE_URL = fake.url
        text = assert_error(submit(sandbox, input_image=f"{fake.url}/p/text.jpg"), 400, "invalid_request_error")
    finally:
        fake.close()
    assert len(messages) == 1, messages
    [message] = messages
    assert message.startswith("input_image could not be fetched.")
    assert not re.search(r"HTTP|500|302|refused|Connect|port", message)
    assert "not an image" in text["message"]  # fetched from the studio, then found not to be a picture
    assert not SandboxTask.objects.filter(kind="video").exists()


def test_async_in_the_query_and_a_non_json_body_are_refused(sandbox):
    body = {"model": "wan", "prompt": "x", "duration": 2}
    assert_error(sandbox.post("v1/async/videos/generations?async=true", json=body), 400, "invalid_request_error")
    response = sandbox.post("v1/async/videos/generations", data={"model": "wan", "prompt": "x"})
    assert "application/json" in assert_error(response, 400, "invalid_request_error")["message"]
    response = sandbox.post(
        "v1/async/videos/generations", content=b"{nope", headers={"Content-Type": "application/json"}
    )
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
    [
        (0.5, "submitted", 0),
        (6, "queued", 0),
        (50, "in_progress", 50),
        (99.5, "in_progress", 99),
        (100.5, "completed", 100),
    ],
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
    response = httpx.get(url, timeout=RENDER_SECONDS)  # a plain URL: no key needed
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
    assert httpx.get(url, timeout=RENDER_SECONDS).content == response.content


def test_a_ratio_size_renders_at_its_pixel_size(sandbox):
    task_id = submit(sandbox, model="veo", duration=4, size="9:16").json()["id"]
    url = wait_for(sandbox, task_id)["result"]["data"][0]["url"]
    video = Video(httpx.get(url, timeout=RENDER_SECONDS).content)
    assert (video.width, video.height) == (720, 1280) and video.frame_count == 96
    assert abs(video.duration - 4) <= 0.2


def test_image_to_video_moves_the_input_image(sandbox):
    picture = Image.new("RGB", (640, 360), (210, 40, 40))
    ImageDraw.Draw(picture).rectangle((320, 0, 640, 360), fill=(40, 60, 210))
    ImageDraw.Draw(picture).ellipse((250, 120, 390, 240), fill=(250, 250, 250))
    task_id = submit(sandbox, size="1280x720", input_image=data_url(png(picture))).json()["id"]
    url = wait_for(sandbox, task_id)["result"]["data"][0]["url"]
    video = Video(httpx.get(url, timeout=RENDER_SECONDS).content)
    assert (video.width, video.height) == (1280, 720)
    for frame in (video.first, video.middle, video.last):
        assert close(mean(frame, (0, 0, 200, 720)), (210, 40, 40)), mean(frame, (0, 0, 200, 720))
        assert close(mean(frame, (1080, 0, 1280, 720)), (40, 60, 210)), mean(frame, (1080, 0, 1280, 720))
    # Ken Burns: the picture visibly pans/zooms between the first and the last frame.
    assert ImageStat.Stat(ImageChops.difference(video.first, video.last)).mean[0] > 3


def test_a_solid_input_image_gives_a_video_of_its_colour(sandbox):
    task_id = submit(sandbox, input_image=data_url(png((30, 160, 90)), "image/png")).json()["id"]
    url = wait_for(sandbox, task_id)["result"]["data"][0]["url"]
    assert close(mean(Video(httpx.get(url, timeout=RENDER_SECONDS).content).middle), (30, 160, 90), tolerance=8)


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


def test_rendered_files_are_bounded_in_number_and_age(sandbox, settings):
    settings.PIXAPI_SANDBOX_MAX_FILES = 2
    folder = settings.PIXAPI_SANDBOX_DIR
    folder.mkdir(parents=True)
    expired = folder / f"{new_task_id()}.mp4"  # a result whose URL has expired
    expired.write_bytes(b"old")
    left_by_a_crash = folder / f".{new_task_id()}.mp4.{'0' * 32}.tmp"
    left_by_a_crash.write_bytes(b"half")
    somebody_elses = folder / "notes.txt"
    somebody_elses.write_text("not the sandbox's")
    old = time.time() - settings.PIXAPI_SANDBOX_URL_TTL - render.STALE_TMP_SECONDS - 10
    for path in (expired, left_by_a_crash):
        os.utime(path, (old, old))
    urls = []
    for take in range(3):
        task_id = submit(sandbox, prompt=f"Take {take} [sandbox:seconds=0.1]").json()["id"]
        urls.append(wait_for(sandbox, task_id)["result"]["data"][0]["url"])
        assert httpx.get(urls[-1], timeout=20).content[4:8] == b"ftyp"
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == sorted(
        [urlsplit(urls[1]).path.rsplit("/", 1)[1], urlsplit(urls[2]).path.rsplit("/", 1)[1], "notes.txt"]
    )
    assert httpx.get(urls[0], timeout=20).content[4:8] == b"ftyp"  # pruned, so rendered again when asked
    assert len([p for p in folder.iterdir() if p.suffix == ".mp4"]) == 2


def test_a_render_stays_within_the_contracts_length_and_size(sandbox):
    # Submits are refused beyond them already; the renderer holds to them whatever a row says.
    task = SandboxTask.objects.create(
        id=new_task_id(),
        api_key=KEY,
        kind="video",
        model="wan",
        prompt="p",
        duration=600,
        width=7680,
        height=128,
        seconds=0,
    )
    [url] = task.result_urls(lambda name: f"{sandbox.base_url}files/{name}")
    video = Video(httpx.get(url, timeout=60).content)
    assert (video.width, video.height) == (1920, 128)
    assert video.frame_count == 15 * render.FPS


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
    assert httpx.get(url, timeout=RENDER_SECONDS).status_code == 200
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
    body = {
        "model": "gemini-2.5-flash-image",
        "prompt": "Lemons",
        "n": 2,
        "size": "1536x1024",
        "response_format": "b64_json",
    }
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
    assert kinds == {
        "veo": "video",
        "wan": "video",
        "kling": "video",
        "gemini-2.5-flash-image": "image",
        "gpt-image-2": "image",
    }
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
    assert httpx.get(url, timeout=RENDER_SECONDS).status_code == 200


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
    assert (
        "explode" in assert_error(submit(sandbox, prompt="[sandbox:explode]"), 400, "invalid_request_error")["message"]
    )
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
    spoilt = httpx.get(url, timeout=RENDER_SECONDS)
    assert spoilt.status_code == 200 and spoilt.headers["Content-Type"] == "video/mp4"
    with pytest.raises(av.error.InvalidDataError):
        av.open(io.BytesIO(spoilt.content))
    assert httpx.get(url, timeout=RENDER_SECONDS).content[4:8] == b"ftyp"


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
        "submit_video": 2,
        "get_task": 3,
        "images": 0,
        "submit_image": 1,
        "models": 2,
        "file": 0,
        "retired_sync": 0,
    }
    assert snapshot["keys"] == {KEY: 6, "(invalid key)": 2}
    assert snapshot["total"] == 8
    over_http = sandbox.get("_sandbox/stats")
    assert over_http.json() == snapshot  # the stats route does not count itself
    assert sandbox.post("_sandbox/reset").json() == {"reset": True}
    assert stats.snapshot()["total"] == 0
    assert httpx.get(f"{sandbox.base_url}_sandbox/stats").status_code == 401
