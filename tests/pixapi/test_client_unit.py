"""The Pixapi client against scripted answers (httpx.MockTransport): no network, no database."""

import io
import json
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from pixapi import client as pixapi

BASE = "https://api.pixapi.test"
KEY = "sk_test_123"


class Recorder:
    """A MockTransport that answers from a list (or a function) and keeps every request."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    def __call__(self, request):
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def paths(self):
        return [r.url.path for r in self.requests]


def make_client(*answers, **kwargs):
    recorder = Recorder(*answers)
    sleeps = []
    client = pixapi.PixapiClient(BASE, KEY, transport=httpx.MockTransport(recorder), sleep=sleeps.append, **kwargs)
    return client, recorder, sleeps


def ok(body, status=200, **kwargs):
    return httpx.Response(status, json=body, **kwargs)


def task_body(**fields):
    return {
        "id": "task_01KPQ7J7DWB7QZ3WCEK3YVPBRA",
        "status": "in_progress",
        "progress": 40,
        "created_at": 1703884800,
        "model": "veo",
        **fields,
    }


def error(status, body=None, **kwargs):
    if body is None:
        return httpx.Response(status, **kwargs)
    if isinstance(body, str):
        return httpx.Response(status, text=body, **kwargs)
    return httpx.Response(status, json=body, **kwargs)


def timeout(kind=httpx.ReadTimeout):
    return lambda request: kind("timed out", request=request)


# Tasks: status, progress, result, error


@pytest.mark.parametrize(
    "raw, status",
    [
        ("submitted", "queued"),
        ("queued", "queued"),
        ("pending", "queued"),
        ("QUEUED", "queued"),
        ("in_progress", "running"),
        ("running", "running"),
        ("processing", "running"),
        ("warming-up", "running"),
        ("something_new", "running"),
        ("completed", "completed"),
        ("succeeded", "completed"),
        ("success", "completed"),
        ("succeed", "completed"),
        ("Completed", "completed"),
        ("failed", "failed"),
        ("canceled", "failed"),
        ("cancelled", "failed"),
        ("expired", "failed"),
        ("error", "failed"),
    ],
)
def test_status_is_normalised(raw, status):
    client, _, _ = make_client(ok(task_body(status=raw)))
    task = client.get_task("task_1")
    assert task.status == status
    assert task.raw_status == raw
    assert task.is_terminal == (status in ("completed", "failed"))


@pytest.mark.parametrize(
    "progress, status, expected",
    [
        (None, "in_progress", 0),
        (40, "in_progress", 40),
        (-5, "in_progress", 0),
        (150, "queued", 100),
        (33.7, "in_progress", 33),
        ("45", "running", 45),
        ("45%", "running", 45),
        ("lots", "running", 0),
        (None, "completed", 100),
        (60, "succeeded", 100),
        (None, "failed", 0),
        (70, "failed", 70),
    ],
)
def test_progress_is_clamped_and_defaulted(progress, status, expected):
    body = task_body(status=status)
    body.pop("progress")
    if progress is not None:
        body["progress"] = progress
    client, _, _ = make_client(ok(body))
    assert client.get_task("task_1").progress == expected


def test_a_completed_task_carries_its_urls_and_fields():
    body = task_body(
        status="completed",
        completed_at=1703884900,
        result={
            "created": 1703884900,
            "data": [{"url": "https://cdn.pixapi.test/a.mp4"}, {"url": "https://cdn.pixapi.test/b.mp4"}],
        },
    )
    client, _, _ = make_client(ok(body))
    task = client.get_task("task_01KPQ7J7DWB7QZ3WCEK3YVPBRA")
    assert task == pixapi.Task(
        id="task_01KPQ7J7DWB7QZ3WCEK3YVPBRA",
        status="completed",
        progress=100,
        video_url="https://cdn.pixapi.test/a.mp4",
        error_code=None,
        error_message=None,
        raw_status="completed",
        model="veo",
        created_at=datetime(2023, 12, 29, 21, 20, tzinfo=UTC),
        result_urls=("https://cdn.pixapi.test/a.mp4", "https://cdn.pixapi.test/b.mp4"),
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"result": {"data": [{"url": "https://cdn/x.mp4"}]}},
        {"result": {"data": ["https://cdn/x.mp4"]}},
        {"result": {"url": "https://cdn/x.mp4"}},
        {"result": {"video_url": "https://cdn/x.mp4"}},
        {"result": {"videos": [{"url": "https://cdn/x.mp4"}]}},
        {"result": ["https://cdn/x.mp4"]},
        {"output": ["https://cdn/x.mp4"]},
        {"output": [{"url": "https://cdn/x.mp4"}]},
        {"output": "https://cdn/x.mp4"},
        {"video_url": "https://cdn/x.mp4"},
    ],
)
def test_result_url_is_found_in_the_shapes_peers_use(fields):
    client, _, _ = make_client(ok(task_body(status="succeeded", **fields)))
    task = client.get_task("task_1")
    assert task.video_url == "https://cdn/x.mp4"
    assert task.result_urls == ("https://cdn/x.mp4",)


def test_a_completed_task_without_a_url_has_none():
    client, _, _ = make_client(ok(task_body(status="completed", result={"data": []})))
    task = client.get_task("task_1")
    assert (task.status, task.video_url, task.result_urls) == ("completed", None, ())


def test_a_running_task_has_no_url_even_if_a_result_is_present():
    client, _, _ = make_client(ok(task_body(status="in_progress", result={"data": [{"url": "https://cdn/x"}]})))
    assert client.get_task("task_1").video_url is None


@pytest.mark.parametrize(
    "fields, code, message",
    [
        (
            {"error": {"code": "prompt_rejected", "message": "Rejected by moderation."}},
            "prompt_rejected",
            "Rejected by moderation.",
        ),
        ({"error": {"code": 422, "type": "prompt_rejected", "message": "No."}}, "prompt_rejected", "No."),
        ({"error": {"code": 500, "message": "Boom."}}, "500", "Boom."),
        ({"error": "GPU fell over"}, None, "GPU fell over"),
        ({"error_code": "internal_error", "error_message": "Oops."}, "internal_error", "Oops."),
        ({"failure_reason": "Timed out upstream."}, None, "Timed out upstream."),
        ({}, None, None),
    ],
)
def test_a_failed_task_carries_its_error(fields, code, message):
    client, _, _ = make_client(ok(task_body(status="failed", **fields)))
    task = client.get_task("task_1")
    assert (task.status, task.error_code, task.error_message) == ("failed", code, message)


@pytest.mark.parametrize("raw, code", [("canceled", "canceled"), ("cancelled", "canceled"), ("expired", "expired")])
def test_canceled_and_expired_get_a_code_when_pixapi_gives_none(raw, code):
    client, _, _ = make_client(ok(task_body(status=raw)))
    task = client.get_task("task_1")
    assert (task.status, task.error_code) == ("failed", code)


def test_a_given_error_code_beats_the_status_word():
    client, _, _ = make_client(ok(task_body(status="expired", error={"code": "timeout", "message": "Too slow."})))
    assert client.get_task("task_1").error_code == "timeout"


def test_error_fields_are_only_read_on_failed_tasks():
    client, _, _ = make_client(ok(task_body(status="in_progress", error={"code": "x", "message": "y"})))
    task = client.get_task("task_1")
    assert (task.error_code, task.error_message) == (None, None)


@pytest.mark.parametrize(
    "value, expected",
    [
        (1703884800, datetime(2023, 12, 29, 21, 20, tzinfo=UTC)),
        (1703884800123, datetime(2023, 12, 29, 21, 20, 0, 123000, tzinfo=UTC)),
        ("1703884800", datetime(2023, 12, 29, 21, 20, tzinfo=UTC)),
        ("2023-12-29T21:20:00Z", datetime(2023, 12, 29, 21, 20, tzinfo=UTC)),
        ("2023-12-29T22:20:00+01:00", datetime(2023, 12, 29, 21, 20, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
    ],
)
def test_created_at_is_read_from_seconds_millis_or_iso(value, expected):
    client, _, _ = make_client(ok(task_body(created_at=value)))
    assert client.get_task("task_1").created_at == expected


def test_a_task_body_without_id_takes_the_requested_one_and_a_wrapped_task_is_unwrapped():
    client, _, _ = make_client(ok({"status": "queued"}), ok({"code": 0, "data": {"task_id": "t9", "state": "running"}}))
    assert client.get_task("task_asked").id == "task_asked"
    task = client.get_task("t9")
    assert (task.id, task.status) == ("t9", "running")


@pytest.mark.parametrize("body", [{"hello": "world"}, [1, 2], "task", {"id": "task_1"}])
def test_a_body_that_is_not_a_task_is_malformed(body):
    client, recorder, sleeps = make_client(ok(body), read_retries=2)
    with pytest.raises(pixapi.MalformedResponse) as info:
        client.get_task("task_1")
    assert info.value.retryable
    assert len(recorder.requests) == 3  # retried like any passing trouble


# Requests: paths, bodies, headers


def test_submit_video_sends_the_documented_request():
    answer = {
        "status": "submitted",
        "id": "task_01KPQ7J7DWB7QZ3WCEK3YVPBRA",
        "progress": 0,
        "created_at": 1703884800,
        "model": "veo",
    }
    client, recorder, _ = make_client(ok(answer))
    task = client.submit_video(
        model="veo", prompt="a cat", duration=5, size="1280x720", input_image="https://studio.test/i/1.png"
    )
    request = recorder.requests[0]
    assert (request.method, str(request.url)) == ("POST", f"{BASE}/v1/async/videos/generations")
    assert json.loads(request.content) == {
        "model": "veo",
        "prompt": "a cat",
        "duration": 5,
        "size": "1280x720",
        "input_image": "https://studio.test/i/1.png",
    }
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["user-agent"].startswith("studio/")
    assert request.headers["content-type"] == "application/json"
    assert (task.id, task.status, task.raw_status, task.progress) == (
        "task_01KPQ7J7DWB7QZ3WCEK3YVPBRA",
        "queued",
        "submitted",
        0,
    )


def test_submit_video_leaves_out_what_is_not_given():
    client, recorder, _ = make_client(ok(task_body(status="submitted")))
    client.submit_video(model="wan", prompt="waves")
    assert json.loads(recorder.requests[0].content) == {"model": "wan", "prompt": "waves"}
    assert "async" not in recorder.requests[0].url.params


def test_get_task_path_and_headers():
    client, recorder, _ = make_client(ok(task_body()))
    client.get_task("task_01KPQ7J7DWB7QZ3WCEK3YVPBRA")
    request = recorder.requests[0]
    assert (request.method, str(request.url)) == ("GET", f"{BASE}/v1/tasks/task_01KPQ7J7DWB7QZ3WCEK3YVPBRA")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["user-agent"].startswith("studio/")


def test_a_task_id_cannot_change_the_path():
    client, recorder, _ = make_client(ok(task_body()))
    client.get_task("../models?x=1")
    assert recorder.requests[0].url.raw_path == b"/v1/tasks/..%2Fmodels%3Fx%3D1"


def test_a_base_url_with_a_path_and_a_trailing_slash():
    recorder = Recorder(ok(task_body()))
    client = pixapi.PixapiClient("http://studio.test/pixapi-sandbox/", KEY, transport=httpx.MockTransport(recorder))
    client.get_task("t1")
    assert str(recorder.requests[0].url) == "http://studio.test/pixapi-sandbox/v1/tasks/t1"


def test_extra_headers_ride_on_every_request():
    client, recorder, _ = make_client(ok(task_body()), headers={"X-Sandbox-Fault": "slow"})
    client.get_task("t1")
    client.submit_video(model="veo", prompt="p")
    assert [r.headers["x-sandbox-fault"] for r in recorder.requests] == ["slow", "slow"]


def test_submit_image_and_list_models_paths():
    client, recorder, _ = make_client(ok(task_body(status="submitted")), ok({"data": [{"id": "veo"}]}))
    task = client.submit_image(model="gpt-image-2", prompt="a fox", n=2, size="1024x1024", quality="high")
    assert task.status == "queued"
    assert client.list_models() == [{"id": "veo"}]
    assert [(r.method, r.url.path) for r in recorder.requests] == [
        ("POST", "/v1/async/images/generations"),
        ("GET", "/v1/models"),
    ]
    assert json.loads(recorder.requests[0].content) == {
        "model": "gpt-image-2",
        "prompt": "a fox",
        "n": 2,
        "size": "1024x1024",
        "quality": "high",
    }


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            {"data": [{"id": "veo", "owned_by": "google"}, {"id": "wan"}]},
            [{"id": "veo", "owned_by": "google"}, {"id": "wan"}],
        ),
        ([{"id": "veo"}], [{"id": "veo"}]),
        (["veo", "kling"], [{"id": "veo"}, {"id": "kling"}]),
        ({"models": [{"id": "veo"}]}, [{"id": "veo"}]),
    ],
)
def test_list_models_is_liberal(body, expected):
    client, _, _ = make_client(ok(body))
    assert client.list_models() == expected


def test_list_models_that_are_not_a_list_are_malformed():
    client, _, _ = make_client(ok({"data": "veo"}), read_retries=0)
    with pytest.raises(pixapi.MalformedResponse):
        client.list_models()


def test_the_client_has_explicit_timeouts():
    client = pixapi.PixapiClient(BASE, KEY, connect_timeout=2.5, read_timeout=12.0)
    timeout = client._http.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (2.5, 12.0, 12.0, 12.0)
    client.close()


# Images


def test_generate_images_decodes_b64_and_keeps_urls():
    png = b"\x89PNG\r\n\x1a\nfake"
    import base64

    answer = {
        "created": 1,
        "data": [
            {"b64_json": base64.b64encode(png).decode()},
            {"url": "https://cdn.pixapi.test/i.png"},
            {"b64_json": "data:image/png;base64," + base64.b64encode(b"two").decode()},
        ],
    }
    client, recorder, _ = make_client(ok(answer))
    images = client.generate_images(
        model="gemini-2.5-flash-image", prompt="a fox", n=3, size="1024x1024", quality="low", response_format="b64_json"
    )
    assert images == [
        pixapi.GeneratedImage(url=None, data=png),
        pixapi.GeneratedImage(url="https://cdn.pixapi.test/i.png", data=None),
        pixapi.GeneratedImage(url=None, data=b"two"),
    ]
    request = recorder.requests[0]
    assert (request.method, request.url.path) == ("POST", "/v1/images/generations")
    assert json.loads(request.content) == {
        "model": "gemini-2.5-flash-image",
        "prompt": "a fox",
        "n": 3,
        "size": "1024x1024",
        "quality": "low",
        "response_format": "b64_json",
    }


def test_generate_images_accepts_a_bare_list_of_urls():
    client, _, _ = make_client(ok(["https://cdn/a.png"]))
    assert client.generate_images(model="m", prompt="p") == [pixapi.GeneratedImage(url="https://cdn/a.png", data=None)]


@pytest.mark.parametrize(
    "answer",
    [
        ok({"data": [{"b64_json": "not base64 at all!"}]}),
        ok({"data": []}),
        httpx.Response(200, text="<html>oops</html>"),
        error(500, {"error": {"code": "internal_error", "message": "Boom."}}),
        timeout(),
    ],
)
def test_generate_images_trouble_is_an_unknown_outcome_and_not_retried(answer):
    client, recorder, sleeps = make_client(answer)
    with pytest.raises(pixapi.OutcomeUnknown) as info:
        client.generate_images(model="m", prompt="p")
    assert not info.value.retryable
    assert len(recorder.requests) == 1
    assert sleeps == []


def test_generate_images_can_wait_longer_than_reads():
    seen = {}

    def answer(request):
        seen.update(request.extensions["timeout"])
        return ok({"data": [{"url": "https://cdn/a.png"}]})

    client, _, _ = make_client(answer, read_timeout=5.0)
    client.generate_images(model="m", prompt="p", timeout=120)
    assert seen["read"] == 120


# Error answers


@pytest.mark.parametrize(
    "status, type_, kind, retryable",
    [
        (400, "invalid_request_error", pixapi.InvalidRequest, False),
        (401, "unauthorized", pixapi.AuthError, False),
        (402, "insufficient_credits", pixapi.InsufficientCredits, False),
        (404, "model_not_found", pixapi.NotFound, False),
        (422, "prompt_rejected", pixapi.PromptRejected, False),
        (429, "rate_limited", pixapi.RateLimited, True),
        (500, "internal_error", pixapi.Unavailable, True),
        (503, "model_unavailable", pixapi.Unavailable, True),
    ],
)
@pytest.mark.parametrize("shape", ["string-code", "numeric-code", "top-level", "status-only"])
def test_the_contract_status_table_on_reads(status, type_, kind, retryable, shape):
    message = "Something specific."
    body = {
        "string-code": {"error": {"code": type_, "message": message, "request_id": "req_1"}},
        "numeric-code": {"error": {"code": status, "type": type_, "message": message, "request_id": "req_1"}},
        "top-level": {"code": type_, "message": message, "request_id": "req_1"},
        "status-only": None,
    }[shape]
    client, recorder, _ = make_client(error(status, body), read_retries=0)
    with pytest.raises(kind) as info:
        client.get_task("task_1")
    e = info.value
    assert type(e) is kind
    assert (e.http_status, e.retryable) == (status, retryable)
    assert len(recorder.requests) == 1
    if shape == "status-only":
        assert e.code is None and e.request_id is None
        assert e.message  # a plain default sentence, never empty
    else:
        assert (e.code, e.message, e.request_id) == (type_, message, "req_1")


@pytest.mark.parametrize(
    "status, kind, retryable",
    [
        (400, pixapi.InvalidRequest, False),
        (401, pixapi.AuthError, False),
        (402, pixapi.InsufficientCredits, False),
        (403, pixapi.AuthError, False),
        (404, pixapi.NotFound, False),
        (408, pixapi.Unavailable, True),
        (409, pixapi.PixapiError, False),
        (422, pixapi.PromptRejected, False),
        (429, pixapi.RateLimited, True),
        (500, pixapi.Unavailable, True),
        (502, pixapi.Unavailable, True),
        (503, pixapi.Unavailable, True),
        (504, pixapi.Unavailable, True),
    ],
)
@pytest.mark.parametrize("body", ["", "<html><body><h1>502 Bad Gateway</h1></body></html>", "{not json"])
def test_bodies_that_are_not_json_fall_back_to_the_status(status, kind, retryable, body):
    client, _, _ = make_client(error(status, body, headers={"x-request-id": "req_h"}), read_retries=0)
    with pytest.raises(pixapi.PixapiError) as info:
        client.get_task("task_1")
    e = info.value
    assert type(e) is kind
    assert (e.http_status, e.retryable, e.code, e.request_id) == (status, retryable, None, "req_h")
    assert "<" not in e.message and e.message


def test_a_short_plain_text_body_becomes_the_message():
    client, _, _ = make_client(error(400, "duration must be between 4 and 8"), read_retries=0)
    with pytest.raises(pixapi.InvalidRequest, match="duration must be between 4 and 8"):
        client.get_task("t")


@pytest.mark.parametrize(
    "body, kind, code, message",
    [
        # type first, then a string code
        (
            {"error": {"type": "rate_limited", "code": "slow_down", "message": "m"}},
            pixapi.RateLimited,
            "rate_limited",
            "m",
        ),
        # a broad type with a specific code that agrees with the status: the specific one wins
        (
            {"error": {"type": "invalid_request_error", "code": "model_not_found", "message": "m"}},
            pixapi.NotFound,
            "invalid_request_error",
            "m",
        ),
        # unknown names fall back to the status
        ({"error": {"type": "weird", "code": "stranger", "message": "m"}}, pixapi.NotFound, "weird", "m"),
        (
            {"error": {"code": "content_policy_violation", "message": "m"}},
            pixapi.PromptRejected,
            "content_policy_violation",
            "m",
        ),
        (
            {"error": {"code": "safety-filter-tripped"}},
            pixapi.PromptRejected,
            "safety-filter-tripped",
            "Pixapi turned the prompt down.",
        ),
        ({"error": "Just words."}, pixapi.NotFound, None, "Just words."),
        ({"detail": "Not here."}, pixapi.NotFound, None, "Not here."),
        ({"message": "Top message.", "code": 40401}, pixapi.NotFound, "40401", "Top message."),
        ({"error": {"code": 404}}, pixapi.NotFound, "404", "Pixapi does not know this model or task."),
    ],
)
def test_error_bodies_are_read_liberally(body, kind, code, message):
    client, _, _ = make_client(error(404, body), read_retries=0)
    with pytest.raises(pixapi.PixapiError) as info:
        client.get_task("t")
    assert (type(info.value), info.value.code, info.value.message) == (kind, code, message)


def test_the_type_decides_over_the_status():
    client, _, _ = make_client(error(400, {"error": {"type": "insufficient_credits", "message": "Top up."}}))
    with pytest.raises(pixapi.InsufficientCredits):
        client.submit_video(model="veo", prompt="p")


def test_request_id_from_the_body_beats_the_header():
    client, _, _ = make_client(
        error(
            401,
            {"error": {"code": "unauthorized", "message": "Invalid API key.", "request_id": "req_body"}},
            headers={"x-request-id": "req_h"},
        )
    )
    with pytest.raises(pixapi.AuthError) as info:
        client.list_models()
    assert info.value.request_id == "req_body"
    assert str(info.value) == "Invalid API key."


# Rate limits and retries


def test_retry_after_in_seconds():
    client, recorder, sleeps = make_client(
        error(429, {"error": {"code": "rate_limited", "message": "Slow down."}}, headers={"Retry-After": "3"}),
        ok(task_body()),
    )
    assert client.get_task("t").status == "running"
    assert len(recorder.requests) == 2
    assert sleeps == [3.0]  # at least Retry-After, which is longer than the first backoff


def test_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=20)
    client, _, _ = make_client(
        error(429, {"error": {"code": "rate_limited"}}, headers={"Retry-After": format_datetime(when, usegmt=True)}),
        read_retries=0,
    )
    with pytest.raises(pixapi.RateLimited) as info:
        client.get_task("t")
    assert 17 <= info.value.retry_after <= 20
    assert info.value.retryable


def test_retry_after_in_the_past_is_zero_and_garbage_is_ignored():
    for header, expected in [("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), ("-4", 0.0)]:
        client, _, _ = make_client(error(429, {}, headers={"Retry-After": header}), read_retries=0)
        with pytest.raises(pixapi.RateLimited) as info:
            client.get_task("t")
        assert info.value.retry_after == expected


def test_429_without_retry_after_uses_the_backoff():
    client, recorder, sleeps = make_client(error(429, {"error": {"code": "rate_limited"}}), ok(task_body()))
    client.get_task("t")
    assert len(recorder.requests) == 2
    assert 0.5 <= sleeps[0] <= 0.75


def test_a_retry_after_longer_than_a_worker_should_sleep_goes_to_the_caller():
    client, recorder, sleeps = make_client(error(429, {}, headers={"Retry-After": "600"}), ok(task_body()))
    with pytest.raises(pixapi.RateLimited) as info:
        client.get_task("t")
    assert info.value.retry_after == 600
    assert (len(recorder.requests), sleeps) == (1, [])


def test_backoff_values_then_the_last_error():
    client, recorder, sleeps = make_client(
        error(503, {"error": {"code": "model_unavailable", "message": "Busy."}}), read_retries=5
    )
    with pytest.raises(pixapi.Unavailable, match="Busy."):
        client.get_task("t")
    assert len(recorder.requests) == 6
    assert len(sleeps) == 5
    for n, slept in enumerate(sleeps):
        base = min(8, 0.5 * 2**n)
        assert base <= slept <= base + 0.25
    assert sleeps[4] >= 8 and sleeps[4] <= 8.25  # capped


def test_a_read_with_a_retry_count_below_zero_still_asks_once():
    # The count once bounded a for loop: below zero the loop never ran and the task read was None.
    client, recorder, _ = make_client(ok(task_body()), read_retries=-1)
    assert client.get_task("t").status == "running"
    assert client.get_task("t", retries=-1).progress == 40
    assert len(recorder.requests) == 2


def test_backoff_jitter_varies():
    assert len({round(pixapi.backoff(0), 6) for _ in range(20)}) > 1


def test_reads_recover_from_passing_trouble():
    client, recorder, sleeps = make_client(
        error(500, {"error": {"code": "internal_error"}}),
        timeout(),
        lambda r: httpx.ConnectError("refused", request=r),
        httpx.Response(200, text="{trunc"),
        ok(task_body(status="completed", result={"data": [{"url": "https://cdn/x.mp4"}]})),
        read_retries=4,
    )
    assert client.get_task("t").video_url == "https://cdn/x.mp4"
    assert len(recorder.requests) == 5
    assert len(sleeps) == 4


@pytest.mark.parametrize(
    "answer, kind",
    [
        (timeout(), pixapi.Unavailable),
        (timeout(httpx.ConnectTimeout), pixapi.Unavailable),
        (lambda r: httpx.ConnectError("refused", request=r), pixapi.Unavailable),
        (lambda r: httpx.RemoteProtocolError("dropped", request=r), pixapi.Unavailable),
        (httpx.Response(200, text="{trunc"), pixapi.MalformedResponse),
        (httpx.Response(200, content=b""), pixapi.MalformedResponse),
    ],
)
def test_reads_give_up_after_their_retries(answer, kind):
    client, recorder, sleeps = make_client(answer, read_retries=3)
    with pytest.raises(kind) as info:
        client.get_task("t")
    assert info.value.retryable
    assert info.value.http_status in (None, 200)
    assert len(recorder.requests) == 4
    assert len(sleeps) == 3


def test_retries_zero_asks_once():
    client, recorder, sleeps = make_client(error(503, {}))
    with pytest.raises(pixapi.Unavailable):
        client.get_task("t", retries=0)
    assert (len(recorder.requests), sleeps) == (1, [])


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422])
def test_errors_that_will_not_pass_are_not_retried(status):
    client, recorder, sleeps = make_client(error(status, {}), read_retries=3)
    with pytest.raises(pixapi.PixapiError):
        client.get_task("t")
    assert (len(recorder.requests), sleeps) == (1, [])


def test_models_are_retried_like_tasks():
    client, recorder, sleeps = make_client(error(502, ""), ok({"data": []}))
    assert client.list_models() == []
    assert len(recorder.requests) == 2 and len(sleeps) == 1


# Submits are never retried


@pytest.mark.parametrize(
    "answer",
    [
        error(500, {"error": {"code": "internal_error", "message": "Boom."}}),
        error(502, "<html>Bad gateway</html>"),
        error(503, "<html>Service Unavailable</html>"),  # a proxy's page, not Pixapi's own word
        error(503, {"error": {"code": "internal_error", "message": "Boom."}}),
        error(503, {"code": "model_unavailable"}),  # not Pixapi's error shape
        error(500, {"error": {"code": "model_unavailable", "message": "Busy."}}),
        error(504, ""),
        timeout(),
        timeout(httpx.WriteTimeout),
        lambda r: httpx.RemoteProtocolError("Server disconnected without sending a response.", request=r),
        lambda r: httpx.ReadError("connection reset", request=r),
        httpx.Response(200, text='{"id": "task_1", "sta'),
        ok({"status": "submitted"}),
        ok(["task_1"]),
    ],
)
@pytest.mark.parametrize("route", ["submit_video", "submit_image"])
def test_a_submit_with_a_lost_answer_is_an_unknown_outcome_asked_once(answer, route):
    client, recorder, sleeps = make_client(answer, read_retries=5)
    with pytest.raises(pixapi.OutcomeUnknown) as info:
        getattr(client, route)(model="veo", prompt="a cat")
    assert not info.value.retryable
    assert info.value.message
    assert len(recorder.requests) == 1
    assert sleeps == []


def test_an_unknown_outcome_keeps_what_pixapi_said():
    client, _, _ = make_client(
        error(500, {"error": {"code": "internal_error", "message": "Boom.", "request_id": "req_9"}})
    )
    with pytest.raises(pixapi.OutcomeUnknown) as info:
        client.submit_video(model="veo", prompt="p")
    e = info.value
    assert (e.code, e.http_status, e.request_id) == ("internal_error", 500, "req_9")
    assert "Boom." in e.message and "may or may not" in e.message


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": "model_unavailable", "message": "Busy.", "request_id": "req_7"}},
        {"error": {"code": "service_unavailable", "message": "Down for a moment."}},
        {"error": {"code": 503, "type": "model_unavailable", "message": "Busy."}},  # numeric code, type beside it
    ],
)
@pytest.mark.parametrize("route", ["submit_video", "submit_image"])
def test_a_503_in_pixapis_own_words_created_nothing_and_may_be_asked_again(body, route):
    client, recorder, sleeps = make_client(error(503, body, headers={"Retry-After": "20"}), read_retries=5)
    with pytest.raises(pixapi.Unavailable) as info:
        getattr(client, route)(model="veo", prompt="a cat")
    e = info.value
    assert type(e) is pixapi.Unavailable and e.retryable
    assert (e.http_status, e.code, e.retry_after) == (503, body["error"].get("type", body["error"]["code"]), 20.0)
    assert (len(recorder.requests), sleeps) == (1, [])  # the lifecycle puts it back in line; the client asks once


@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_a_submit_that_never_left_is_unavailable_not_unknown(exc):
    client, recorder, sleeps = make_client(lambda r: exc("no route", request=r))
    with pytest.raises(pixapi.Unavailable) as info:
        client.submit_video(model="veo", prompt="p")
    assert type(info.value) is pixapi.Unavailable
    assert (len(recorder.requests), sleeps) == (1, [])


@pytest.mark.parametrize(
    "status, code, kind",
    [
        (400, "invalid_request_error", pixapi.InvalidRequest),
        (401, "unauthorized", pixapi.AuthError),
        (402, "insufficient_credits", pixapi.InsufficientCredits),
        (404, "model_not_found", pixapi.NotFound),
        (422, "prompt_rejected", pixapi.PromptRejected),
        (429, "rate_limited", pixapi.RateLimited),
    ],
)
def test_a_submit_refused_up_front_says_why_and_is_asked_once(status, code, kind):
    client, recorder, sleeps = make_client(
        error(status, {"error": {"code": code, "message": "Why."}}, headers={"Retry-After": "2"})
    )
    with pytest.raises(kind) as info:
        client.submit_video(model="veo", prompt="p")
    assert type(info.value) is kind
    assert info.value.message == "Why."
    assert (len(recorder.requests), sleeps) == (1, [])
    if kind is pixapi.RateLimited:
        assert info.value.retry_after == 2.0


def test_a_redirect_on_submit_is_not_followed():
    client, recorder, _ = make_client(httpx.Response(301, headers={"Location": "https://elsewhere.test/"}))
    with pytest.raises(pixapi.PixapiError, match="PIXAPI_BASE_URL"):
        client.submit_video(model="veo", prompt="p")
    assert len(recorder.requests) == 1


def test_the_retired_sync_route_is_never_called():
    client, recorder, _ = make_client(ok(task_body(status="submitted")))
    client.submit_video(model="veo", prompt="p")
    client.submit_image(model="m", prompt="p")
    client.get_task("t")
    assert "/v1/videos/generations" not in recorder.paths


# Downloads


class ChunkStream(httpx.SyncByteStream):
    def __init__(self, chunks):
        self.chunks = chunks
        self.sent = 0

    def __iter__(self):
        for chunk in self.chunks:
            self.sent += 1
            yield chunk


class CountingFile(io.BytesIO):
    def __init__(self):
        super().__init__()
        self.writes = 0

    def write(self, data):
        self.writes += 1
        return super().write(data)


def file_answer(chunks, **headers):
    return lambda request: httpx.Response(200, headers=headers, stream=ChunkStream(chunks))


def test_download_streams_to_a_path(tmp_path):
    chunks = [b"a" * 1000, b"b" * 1000, b"c" * 500]
    client, recorder, _ = make_client(file_answer(chunks, **{"content-type": "video/mp4"}))
    dest = tmp_path / "v.mp4"
    assert client.download("https://cdn.pixapi.test/v.mp4", dest) == 2500
    assert dest.read_bytes() == b"".join(chunks)
    assert recorder.requests[0].method == "GET"


def test_download_writes_chunk_by_chunk_to_a_file_object():
    chunks = [b"x" * (2 * 1024 * 1024), b"y" * (2 * 1024 * 1024), b"z"]
    client, _, _ = make_client(file_answer(chunks))
    out = CountingFile()
    assert client.download("https://cdn.pixapi.test/v.mp4", out) == 4 * 1024 * 1024 + 1
    assert out.writes >= 3  # never the whole file in one piece
    assert out.getvalue() == b"".join(chunks)


def test_download_sends_the_key_only_to_the_api_host(tmp_path):
    client, recorder, _ = make_client(file_answer([b"v"]))
    client.download("https://cdn.pixapi.test/v.mp4", tmp_path / "a")
    client.download(f"{BASE}/files/v.mp4", tmp_path / "b")
    client.download("/files/relative.mp4", tmp_path / "c")
    first, second, third = recorder.requests
    assert "authorization" not in first.headers
    assert second.headers["authorization"] == f"Bearer {KEY}"
    assert str(third.url) == "https://api.pixapi.test/files/relative.mp4"
    assert all(r.headers["user-agent"].startswith("studio/") for r in recorder.requests)


def test_download_follows_redirects_and_drops_the_key_off_host(tmp_path):
    def answer(request):
        if request.url.host == "api.pixapi.test":
            return httpx.Response(302, headers={"Location": "https://bucket.test/v.mp4?sig=1"})
        return httpx.Response(200, content=b"video")

    client, recorder, _ = make_client(answer)
    assert client.download(f"{BASE}/v1/files/v.mp4", tmp_path / "v.mp4") == 5
    assert [r.url.host for r in recorder.requests] == ["api.pixapi.test", "bucket.test"]
    assert "authorization" in recorder.requests[0].headers
    assert "authorization" not in recorder.requests[1].headers


def test_download_over_the_declared_size_stops_before_reading(tmp_path):
    stream = ChunkStream([b"a" * 100] * 10)
    client, _, _ = make_client(lambda r: httpx.Response(200, headers={"content-length": "1000"}, stream=stream))
    dest = tmp_path / "v.mp4"
    with pytest.raises(pixapi.DownloadTooLarge):
        client.download("https://cdn/v.mp4", dest, max_bytes=999)
    assert not dest.exists()
    assert stream.sent == 0


def test_download_over_the_size_while_streaming_removes_the_partial_file(tmp_path):
    stream = ChunkStream([b"a" * 400] * 10)
    client, _, _ = make_client(lambda r: httpx.Response(200, stream=stream), max_download_bytes=1000)
    dest = tmp_path / "v.mp4"
    with pytest.raises(pixapi.DownloadTooLarge) as info:
        client.download("https://cdn/v.mp4", dest)
    assert not info.value.retryable
    assert not dest.exists()
    assert stream.sent == 3  # stopped at the first chunk over the cap


def test_download_exactly_at_the_cap_is_fine(tmp_path):
    client, _, _ = make_client(file_answer([b"a" * 500, b"b" * 500]))
    assert client.download("https://cdn/v.mp4", tmp_path / "v", max_bytes=1000) == 1000


@pytest.mark.parametrize("status", [403, 404, 410])
def test_an_expired_result(status, tmp_path):
    client, _, _ = make_client(error(status, "<Error><Code>AccessDenied</Code></Error>"))
    dest = tmp_path / "v.mp4"
    with pytest.raises(pixapi.ResultExpired) as info:
        client.download("https://cdn/v.mp4", dest)
    assert (info.value.http_status, info.value.retryable) == (status, False)
    assert not dest.exists()


@pytest.mark.parametrize(
    "answer",
    [
        error(500, ""),
        error(503, {"error": {"code": "model_unavailable"}}),
        timeout(),
        lambda r: httpx.ConnectError("refused", request=r),
    ],
)
def test_download_trouble_that_may_pass(answer, tmp_path):
    client, recorder, _ = make_client(answer)
    with pytest.raises(pixapi.Unavailable) as info:
        client.download("https://cdn/v.mp4", tmp_path / "v.mp4")
    assert info.value.retryable
    assert len(recorder.requests) == 1
    assert not (tmp_path / "v.mp4").exists()


def test_a_connection_lost_mid_download_removes_the_partial_file(tmp_path):
    class Broken(httpx.SyncByteStream):
        def __iter__(self):
            yield b"a" * 100
            raise httpx.ReadError("reset")

    client, _, _ = make_client(lambda r: httpx.Response(200, stream=Broken()))
    dest = tmp_path / "v.mp4"
    with pytest.raises(pixapi.Unavailable):
        client.download("https://cdn/v.mp4", dest)
    assert not dest.exists()


def test_download_refuses_urls_that_are_not_http(tmp_path):
    client, recorder, _ = make_client(ok({}))
    with pytest.raises(pixapi.PixapiError):
        client.download("file:///etc/passwd", tmp_path / "x")
    assert recorder.requests == []


# The shared client


def test_get_client_is_shared_and_built_from_settings(settings):
    settings.PIXAPI_BASE_URL = "https://api.one.test"
    settings.PIXAPI_USE_SANDBOX = False
    settings.PIXAPI_API_KEY = "sk_live_1"
    settings.PIXAPI_READ_TIMEOUT = 11.0
    settings.PIXAPI_CONNECT_TIMEOUT = 3.0
    settings.PIXAPI_READ_RETRIES = 2
    settings.PIXAPI_MAX_DOWNLOAD_BYTES = 1234
    client = pixapi.get_client()
    assert pixapi.get_client() is client
    assert client.base_url == "https://api.one.test"
    assert client._http.headers["authorization"] == "Bearer sk_live_1"
    assert (client._http.timeout.connect, client._http.timeout.read) == (3.0, 11.0)
    assert (client.read_retries, client.max_download_bytes) == (2, 1234)


def test_get_client_uses_the_sandbox_key_and_follows_settings_changes(settings):
    settings.PIXAPI_USE_SANDBOX = True
    settings.PIXAPI_SANDBOX_KEY = "sk_sandbox_local"
    settings.PIXAPI_API_KEY = ""
    settings.PIXAPI_BASE_URL = "http://127.0.0.1:1/pixapi-sandbox"
    first = pixapi.get_client()
    assert first._http.headers["authorization"] == "Bearer sk_sandbox_local"
    settings.PIXAPI_BASE_URL = "http://127.0.0.1:2/pixapi-sandbox"
    second = pixapi.get_client()
    assert second is not first and second.base_url == "http://127.0.0.1:2/pixapi-sandbox"


def test_get_client_from_many_threads_builds_one(settings):
    settings.PIXAPI_BASE_URL = "https://api.threads.test"
    seen = []
    barrier = threading.Barrier(20)

    def grab():
        barrier.wait()
        seen.append(pixapi.get_client())

    threads = [threading.Thread(target=grab) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in seen}) == 1


class Endless:
    """An answer body far past the cap (4 MB here; as good as endless), counting what was taken from it."""

    def __init__(self, chunk=b'{"id": "' + b"x" * 65_536):
        self.chunk, self.sent = chunk, 0

    def __iter__(self):
        while self.sent < 4 * pixapi.MAX_ANSWER_BYTES:
            self.sent += len(self.chunk)
            yield self.chunk


@pytest.mark.parametrize("status", [200, 404, 500])
def test_an_answer_that_never_ends_is_refused_once_it_passes_the_cap(status):
    body = Endless()
    client, recorder, _ = make_client(lambda r: httpx.Response(status, content=body), read_retries=0)
    with pytest.raises(pixapi.MalformedResponse, match="larger than 1,000,000 bytes"):
        client.get_task("task_1")
    assert body.sent <= pixapi.MAX_ANSWER_BYTES + len(body.chunk)  # read as it came, and no further


@pytest.mark.parametrize("status", [200, 500])
def test_a_submit_answer_that_never_ends_is_an_unknown_outcome_asked_once(status):
    body = Endless()
    client, recorder, sleeps = make_client(lambda r: httpx.Response(status, content=body), read_retries=5)
    with pytest.raises(pixapi.OutcomeUnknown, match="may or may not have been created") as info:
        client.submit_video(model="veo", prompt="p")
    assert "larger than 1,000,000 bytes" in info.value.message
    assert body.sent <= pixapi.MAX_ANSWER_BYTES + len(body.chunk)
    assert (len(recorder.requests), sleeps) == (1, [])


@pytest.mark.parametrize("status, kind", [(422, pixapi.PixapiError), (429, pixapi.RateLimited)])
def test_a_submit_refused_with_an_answer_that_never_ends_is_a_refusal_asked_once(status, kind):
    body = Endless()
    client, recorder, sleeps = make_client(lambda r: httpx.Response(status, content=body), read_retries=5)
    with pytest.raises(pixapi.PixapiError, match="refused the request") as info:
        client.submit_video(model="veo", prompt="p")
    assert type(info.value) is kind and info.value.http_status == status
    assert body.sent <= pixapi.MAX_ANSWER_BYTES + len(body.chunk)
    assert (len(recorder.requests), sleeps) == (1, [])


def test_a_compressed_answer_is_read_as_its_json():
    import gzip

    packed = gzip.compress(json.dumps(task_body(status="completed", video_url="https://files.test/v.mp4")).encode())
    client, _, _ = make_client(httpx.Response(200, content=packed, headers={"Content-Encoding": "gzip"}))
    assert client.get_task("task_1").status == "completed"
