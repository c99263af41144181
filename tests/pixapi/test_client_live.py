"""The Pixapi client against the sandbox over real HTTP (live_server): every status, every fault."""

import base64
import io
import time

import av
import httpx
import pytest
from django.conf import settings as django_settings
from PIL import Image

from pixapi import client as pixapi
from sandbox.models import SandboxTask

KEY = django_settings.PIXAPI_SANDBOX_KEY


@pytest.fixture
def sandbox(sandbox_url, settings, tmp_path):
    settings.PIXAPI_SANDBOX_SECONDS = 0.3
    settings.PIXAPI_SANDBOX_FAULTS = ""
    settings.PIXAPI_SANDBOX_SLOW_SECONDS = 3.0
    settings.PIXAPI_SANDBOX_DIR = tmp_path / "sandbox"
    sandbox_call("POST", sandbox_url, "/_sandbox/reset")
    return sandbox_url


def sandbox_call(method, url, path):
    response = httpx.request(method, f"{url}{path}", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    response.raise_for_status()
    return response.json()


def routes(sandbox_url):
    """How many requests each sandbox route answered since the test began."""
    return sandbox_call("GET", sandbox_url, "/_sandbox/stats")["routes"]


class Client:
    """A PixapiClient on the sandbox that records its sleeps instead of waiting."""

    def __init__(self, url, key=KEY, **kwargs):
        self.sleeps = []
        kwargs.setdefault("read_timeout", 10.0)
        self.api = pixapi.PixapiClient(url, key, sleep=self.sleeps.append, **kwargs)

    def __getattr__(self, name):
        return getattr(self.api, name)


def wait_for(client, task_id, timeout=20, every=0.05):
    """Polls until the task ends; returns every Task seen, the last one terminal."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get_task(task_id)
        seen.append(task)
        if task.is_terminal:
            return seen
        time.sleep(every)
    raise AssertionError(f"Task {task_id} did not finish in {timeout} s; last seen {seen[-1]}")


def probe(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        duration = (
            float(container.duration / av.time_base)
            if container.duration
            else float(stream.duration * stream.time_base)
        )
        return stream.codec_context.width, stream.codec_context.height, duration, frames


# Tasks to the end


def test_a_video_goes_through_every_status_and_downloads_as_a_real_mp4(sandbox, tmp_path):
    client = Client(sandbox)
    submitted = client.submit_video(
        model="wan", prompt="A lighthouse at dusk [sandbox:seconds=3]", duration=2, size="720x1280"
    )
    assert (submitted.status, submitted.raw_status, submitted.progress, submitted.model) == (
        "queued",
        "submitted",
        0,
        "wan",
    )
    assert submitted.id.startswith("task_") and len(submitted.id) == 31
    assert submitted.created_at is not None

    seen = [submitted] + wait_for(client, submitted.id, every=0.02)
    assert {t.raw_status for t in seen} >= {"submitted", "queued", "in_progress", "completed"}
    assert [t.status for t in seen if t.raw_status == "in_progress"][0] == "running"
    progresses = [t.progress for t in seen]
    assert progresses == sorted(progresses)  # never backwards
    done = seen[-1]
    assert (done.status, done.progress, done.error_code) == ("completed", 100, None)
    assert done.video_url.startswith(sandbox + "/files/") and done.result_urls == (done.video_url,)

    dest = tmp_path / "video.mp4"
    written = client.download(done.video_url, dest)
    assert written == dest.stat().st_size > 1000
    width, height, duration, frames = probe(dest)
    assert (width, height) == (720, 1280)
    assert abs(duration - 2) <= 0.2
    assert frames > 10
    assert routes(sandbox)["retired_sync"] == 0


def test_a_ratio_size_and_a_file_object(sandbox):
    client = Client(sandbox)
    task = client.submit_video(model="veo", prompt="Waves on a pebble beach", duration=4, size="16:9")
    done = wait_for(client, task.id)[-1]
    out = io.BytesIO()
    assert client.download(done.video_url, out) == len(out.getvalue())
    with av.open(io.BytesIO(out.getvalue())) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)
        assert abs(container.duration / av.time_base - 4) <= 0.2


@pytest.mark.parametrize(
    "marker, code",
    [("fail-rejected", "prompt_rejected"), ("fail-internal", "internal_error")],
)
def test_a_task_that_fails_after_acceptance(sandbox, marker, code):
    client = Client(sandbox)
    task = client.submit_video(model="wan", prompt=f"A storm [sandbox:{marker}]", duration=2)
    assert task.status == "queued"
    done = wait_for(client, task.id)[-1]
    assert (done.status, done.raw_status, done.error_code, done.video_url) == ("failed", "failed", code, None)
    assert done.error_message


def test_a_task_that_never_finishes_keeps_running(sandbox):
    client = Client(sandbox)
    task = client.submit_video(model="wan", prompt="A clock [sandbox:never-finish]", duration=2)
    time.sleep(0.5)  # past the task's time
    later = client.get_task(task.id)
    assert (later.status, later.is_terminal) == ("running", False)
    assert 0 < later.progress < 100


def test_an_expired_result_url(sandbox, tmp_path):
    client = Client(sandbox)
    task = client.submit_video(model="wan", prompt="A candle [sandbox:expire-url]", duration=2)
    done = wait_for(client, task.id)[-1]
    assert done.status == "completed"
    dest = tmp_path / "v.mp4"
    with pytest.raises(pixapi.ResultExpired) as info:
        client.download(done.video_url, dest)
    assert (info.value.http_status, info.value.retryable) == (403, False)
    assert not dest.exists()


def test_a_tampered_result_url_is_refused(sandbox, tmp_path):
    client = Client(sandbox)
    done = wait_for(client, client.submit_video(model="wan", prompt="A kite", duration=2).id)[-1]
    with pytest.raises(pixapi.ResultExpired):
        client.download(done.video_url.replace("sig=", "sig=0"), tmp_path / "v.mp4")


def test_a_download_over_the_cap(sandbox, tmp_path):
    client = Client(sandbox, max_download_bytes=10_000)
    done = wait_for(client, client.submit_video(model="wan", prompt="A kite", duration=2).id)[-1]
    dest = tmp_path / "v.mp4"
    with pytest.raises(pixapi.DownloadTooLarge):
        client.download(done.video_url, dest)
    assert not dest.exists()


def test_an_unknown_task_is_not_found_at_once(sandbox):
    client = Client(sandbox)
    for task_id in ("task_01KPQ7J7DWB7QZ3WCEK3YVPBRA", "nonsense"):
        with pytest.raises(pixapi.NotFound) as info:
            client.get_task(task_id)
        assert info.value.http_status == 404
    assert client.sleeps == []
    assert routes(sandbox)["get_task"] == 2


def test_another_sandbox_looking_key_is_refused(sandbox):
    task = Client(sandbox).submit_video(model="wan", prompt="Mine", duration=2)
    with pytest.raises(pixapi.AuthError):
        Client(sandbox, key="sk_sandbox_someone_else").get_task(task.id)


# Images and models


def test_images_by_url_and_as_b64(sandbox, tmp_path):
    client = Client(sandbox)
    by_url = client.generate_images(model="gemini-2.5-flash-image", prompt="A red fox", n=2, size="1024x1024")
    assert len(by_url) == 2 and all(i.url and i.data is None for i in by_url)
    client.download(by_url[0].url, tmp_path / "fox.png")
    assert Image.open(tmp_path / "fox.png").size == (1024, 1024)

    inline = client.generate_images(
        model="gpt-image-2", prompt="A red fox", size="1536x1024", quality="low", response_format="b64_json"
    )
    assert len(inline) == 1 and inline[0].url is None
    assert Image.open(io.BytesIO(inline[0].data)).size == (1536, 1024)


def test_an_async_image_task_has_every_url(sandbox):
    client = Client(sandbox)
    task = client.submit_image(model="gpt-image-2", prompt="Three pears", n=3, size="1024x1536")
    done = wait_for(client, task.id)[-1]
    assert done.status == "completed"
    assert len(done.result_urls) == 3 and done.video_url == done.result_urls[0]


def test_models(sandbox):
    ids = {m["id"] for m in Client(sandbox).list_models()}
    assert {"veo", "wan", "kling", "gemini-2.5-flash-image", "gpt-image-2"} <= ids


def test_an_input_image_as_a_data_url(sandbox, tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 40, 40)).save(buf, format="PNG")
    data_url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    client = Client(sandbox)
    task = client.submit_video(model="wan", prompt="Zoom in slowly", duration=2, size="720x1280", input_image=data_url)
    done = wait_for(client, task.id)[-1]
    client.download(done.video_url, tmp_path / "v.mp4")
    assert probe(tmp_path / "v.mp4")[:2] == (720, 1280)


# Errors on submit: asked once, the right class


SUBMIT_ERRORS = [
    ("unauthorized", pixapi.AuthError, 401, "unauthorized"),
    ("insufficient-credits", pixapi.InsufficientCredits, 402, "insufficient_credits"),
    ("prompt-rejected", pixapi.PromptRejected, 422, "prompt_rejected"),
    ("model-not-found", pixapi.NotFound, 404, "model_not_found"),
    ("rate-limited", pixapi.RateLimited, 429, "rate_limited"),
    ("rate-limited-no-retry-after", pixapi.RateLimited, 429, "rate_limited"),
    ("internal-error", pixapi.OutcomeUnknown, 500, "internal_error"),
    ("unavailable", pixapi.Unavailable, 503, "model_unavailable"),  # Pixapi's own word: nothing was made
]


@pytest.mark.parametrize("numeric", [False, True], ids=["string-codes", "numeric-codes"])
@pytest.mark.parametrize("fault, kind, status, code", SUBMIT_ERRORS, ids=[e[0] for e in SUBMIT_ERRORS])
def test_submit_errors(sandbox, fault, kind, status, code, numeric):
    header = f"{fault},numeric-codes" if numeric else fault
    client = Client(sandbox, headers={"X-Sandbox-Fault": header})
    with pytest.raises(kind) as info:
        client.submit_video(model="wan", prompt="A harbour", duration=2)
    e = info.value
    assert type(e) is kind
    assert (e.http_status, e.code) == (status, code)
    assert e.message and "{" not in e.message
    assert e.retryable == (kind in (pixapi.RateLimited, pixapi.Unavailable))
    if kind is not pixapi.OutcomeUnknown:
        assert e.request_id.startswith("req_")
    assert e.retry_after == (1.0 if fault == "rate-limited" else None)
    assert routes(sandbox)["submit_video"] == 1
    assert client.sleeps == []


def test_submit_errors_from_prompt_markers_and_run_settings(sandbox, settings):
    client = Client(sandbox)
    with pytest.raises(pixapi.PromptRejected):
        client.submit_video(model="wan", prompt="Something [sandbox:prompt-rejected]", duration=2)
    settings.PIXAPI_SANDBOX_FAULTS = "submit:insufficient-credits*1"
    with pytest.raises(pixapi.InsufficientCredits):
        client.submit_video(model="wan", prompt="A harbour", duration=2)
    assert client.submit_video(model="wan", prompt="A harbour", duration=2).status == "queued"
    assert SandboxTask.objects.count() == 1  # only the one that went through


def test_real_refusals_from_the_sandbox(sandbox):
    with pytest.raises(pixapi.AuthError):
        Client(sandbox, key="sk_live_wrong").submit_video(model="wan", prompt="p", duration=2)
    client = Client(sandbox)
    with pytest.raises(pixapi.InvalidRequest, match="duration"):
        client.submit_video(model="kling", prompt="A harbour", duration=7)
    with pytest.raises(pixapi.InvalidRequest, match="size"):
        client.submit_video(model="wan", prompt="A harbour", duration=2, size="640x480")
    with pytest.raises(pixapi.NotFound) as info:
        client.submit_video(model="sora", prompt="A harbour")
    assert info.value.code == "model_not_found"
    assert SandboxTask.objects.count() == 0


def test_a_submit_past_the_timeout_is_an_unknown_outcome_and_the_task_exists(sandbox):
    client = Client(sandbox, read_timeout=1.0, headers={"X-Sandbox-Fault": "slow"})
    started = time.monotonic()
    with pytest.raises(pixapi.OutcomeUnknown) as info:
        client.submit_video(model="wan", prompt="A slow harbour", duration=2)
    assert time.monotonic() - started < 2.9  # gave up before the sandbox's three seconds
    assert not info.value.retryable
    assert routes(sandbox)["submit_video"] == 1
    assert SandboxTask.objects.filter(prompt="A slow harbour").count() == 1


def test_a_dropped_submit_is_an_unknown_outcome_and_the_task_exists(sandbox):
    client = Client(sandbox, headers={"X-Sandbox-Fault": "drop"})
    with pytest.raises(pixapi.OutcomeUnknown) as info:
        client.submit_video(model="wan", prompt="A dropped harbour", duration=2)
    assert not info.value.retryable
    assert routes(sandbox)["submit_video"] == 1
    task = SandboxTask.objects.get(prompt="A dropped harbour")
    # The task is real and runs to the end: a blind resubmit would have made (and cost) two.
    assert wait_for(Client(sandbox), task.id)[-1].status == "completed"


def test_malformed_json_on_submit_is_an_unknown_outcome(sandbox):
    client = Client(sandbox, headers={"X-Sandbox-Fault": "malformed-json"})
    with pytest.raises(pixapi.OutcomeUnknown):
        client.submit_video(model="wan", prompt="A garbled harbour", duration=2)
    assert routes(sandbox)["submit_video"] == 1
    assert SandboxTask.objects.filter(prompt="A garbled harbour").exists()


@pytest.mark.parametrize(
    "fault, kind",
    [
        ("internal-error", pixapi.OutcomeUnknown),
        ("unavailable", pixapi.Unavailable),  # Pixapi's own 503 model_unavailable: nothing was made
        ("slow", pixapi.OutcomeUnknown),
        ("drop", pixapi.OutcomeUnknown),
        ("malformed-json", pixapi.OutcomeUnknown),
    ],
)
def test_sync_images_with_a_lost_answer_are_not_retried(sandbox, settings, fault, kind):
    settings.PIXAPI_SANDBOX_FAULTS = f"images:{fault}"
    client = Client(sandbox, read_timeout=1.0)
    with pytest.raises(kind):
        client.generate_images(model="gemini-2.5-flash-image", prompt="A fox")
    assert routes(sandbox)["images"] == 1


# Errors on reads: retried with the backoff


@pytest.fixture
def task_id(sandbox):
    return Client(sandbox).submit_video(model="wan", prompt="A harbour", duration=2).id


def test_poll_rate_limited_with_retry_after(sandbox, settings, task_id):
    settings.PIXAPI_SANDBOX_FAULTS = "poll:rate-limited*3"
    client = Client(sandbox)
    assert client.get_task(task_id).id == task_id
    assert len(client.sleeps) == 3
    assert all(s >= 1.0 for s in client.sleeps)  # at least Retry-After: 1
    assert client.sleeps[2] >= 2.0  # and at least the backoff
    assert routes(sandbox)["get_task"] == 4


def test_poll_rate_limited_without_retry_after(sandbox, settings, task_id):
    settings.PIXAPI_SANDBOX_FAULTS = "poll:rate-limited-no-retry-after*2"
    client = Client(sandbox)
    client.get_task(task_id)
    assert len(client.sleeps) == 2
    assert 0.5 <= client.sleeps[0] <= 0.75 and 1.0 <= client.sleeps[1] <= 1.25


@pytest.mark.parametrize("fault", ["internal-error", "unavailable", "malformed-json", "drop"])
def test_poll_recovers_from_passing_trouble(sandbox, settings, task_id, fault):
    settings.PIXAPI_SANDBOX_FAULTS = f"poll:{fault}*2"
    client = Client(sandbox)
    assert client.get_task(task_id).id == task_id
    assert len(client.sleeps) == 2
    assert routes(sandbox)["get_task"] == 3


@pytest.mark.parametrize(
    "fault, kind, status",
    [
        ("internal-error", pixapi.Unavailable, 500),
        ("unavailable", pixapi.Unavailable, 503),
        ("rate-limited", pixapi.RateLimited, 429),
        ("malformed-json", pixapi.MalformedResponse, 200),
        ("internal-error,numeric-codes", pixapi.Unavailable, 500),
    ],
)
def test_poll_gives_up_after_its_retries(sandbox, settings, task_id, fault, kind, status):
    settings.PIXAPI_SANDBOX_FAULTS = ",".join(f"poll:{f}" for f in fault.split(","))
    client = Client(sandbox, read_retries=2)
    with pytest.raises(kind) as info:
        client.get_task(task_id)
    assert (info.value.http_status, info.value.retryable) == (status, True)
    assert len(client.sleeps) == 2
    assert routes(sandbox)["get_task"] == 3


def test_poll_with_retries_zero_asks_once(sandbox, settings, task_id):
    settings.PIXAPI_SANDBOX_FAULTS = "poll:rate-limited"
    client = Client(sandbox)
    with pytest.raises(pixapi.RateLimited) as info:
        client.get_task(task_id, retries=0)
    assert info.value.retry_after == 1.0
    assert (client.sleeps, routes(sandbox)["get_task"]) == ([], 1)


def test_slow_polls_past_the_timeout_are_unavailable_after_retries(sandbox, settings, task_id):
    settings.PIXAPI_SANDBOX_FAULTS = "poll:slow"
    client = Client(sandbox, read_timeout=1.0, read_retries=1)
    started = time.monotonic()
    with pytest.raises(pixapi.Unavailable) as info:
        client.get_task(task_id)
    assert info.value.retryable and info.value.http_status is None
    assert 2.0 <= time.monotonic() - started < 4.5  # two attempts of one second, not two of the sandbox's three
    assert len(client.sleeps) == 1


def test_poll_auth_errors_are_not_retried(sandbox, settings, task_id):
    settings.PIXAPI_SANDBOX_FAULTS = "poll:unauthorized"
    client = Client(sandbox)
    with pytest.raises(pixapi.AuthError):
        client.get_task(task_id)
    assert client.sleeps == []


def test_models_retry_too(sandbox, settings):
    settings.PIXAPI_SANDBOX_FAULTS = "models:unavailable*1"
    client = Client(sandbox)
    assert client.list_models()
    assert len(client.sleeps) == 1 and routes(sandbox)["models"] == 2


def test_a_spoiled_file_download_is_unavailable(sandbox, settings, tmp_path):
    client = Client(sandbox)
    done = wait_for(client, client.submit_video(model="wan", prompt="A kite", duration=2).id)[-1]
    settings.PIXAPI_SANDBOX_FAULTS = "file:internal-error*1"
    with pytest.raises(pixapi.Unavailable):
        client.download(done.video_url, tmp_path / "v.mp4")
    assert client.download(done.video_url, tmp_path / "v.mp4") > 0


def test_the_shared_client_talks_to_the_sandbox(sandbox, settings):
    settings.PIXAPI_USE_SANDBOX = True
    task = pixapi.get_client().submit_video(model="wan", prompt="Shared", duration=2)
    assert pixapi.get_client().get_task(task.id).id == task.id
    assert SandboxTask.objects.get(pk=task.id).api_key == settings.PIXAPI_SANDBOX_KEY
