"""Values and answers from Pixapi that no honest Pixapi sends: the client clamps them or turns them
into its own errors, so a caller never meets a raw exception or an absurd number."""

import time

import httpx
import pytest

from pixapi import client as pixapi
from pixapi.errors import MAX_RETRY_AFTER
from tests.pixapi.test_client_unit import error, make_client, ok, task_body


@pytest.mark.parametrize("header", ["99999999999999", "1e400", "inf", "Fri, 31 Dec 9999 23:59:59 GMT", "9" * 5000])
def test_a_huge_retry_after_is_clamped(header):
    client, _, _ = make_client(error(429, {}, headers={"Retry-After": header}), read_retries=0)
    with pytest.raises(pixapi.RateLimited) as info:
        client.get_task("t")
    assert info.value.retry_after == MAX_RETRY_AFTER


def test_a_retry_after_that_is_not_a_number_is_ignored():
    client, _, _ = make_client(error(429, {}, headers={"Retry-After": "nan"}), read_retries=0)
    with pytest.raises(pixapi.RateLimited) as info:
        client.get_task("t")
    assert info.value.retry_after is None


def test_a_task_id_too_long_to_store_is_malformed():
    client, _, _ = make_client(ok(task_body(id="task_" + "x" * 5000)))
    with pytest.raises(pixapi.MalformedResponse):
        client.get_task("t")


def test_a_result_url_too_long_to_store_is_not_taken():
    body = task_body(status="completed", result={"data": [{"url": "https://cdn/" + "v" * 5000}]})
    client, _, _ = make_client(ok(body))
    assert client.get_task("t").video_url is None


ANSWERS = {
    "redirect loop": lambda r: httpx.Response(302, headers={"Location": str(r.url)}),
    "body that does not decode": lambda r: httpx.Response(
        200, content=b"not gzip", headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    ),
    "JSON nested too deep": lambda r: httpx.Response(
        200, content=b"[" * 100_000 + b"]" * 100_000, headers={"Content-Type": "application/json"}
    ),
}


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_a_hostile_answer_to_a_read_is_a_pixapi_error(answer):
    client, _, _ = make_client(answer, read_retries=0)
    with pytest.raises(pixapi.PixapiError) as info:
        client.get_task("t")
    assert info.value.retryable


@pytest.mark.parametrize("name", ["body that does not decode", "JSON nested too deep"])
def test_an_answer_to_a_submit_that_cannot_be_read_is_an_unknown_outcome(name):
    client, recorder, _ = make_client(ANSWERS[name])
    with pytest.raises(pixapi.OutcomeUnknown):
        client.submit_video(model="wan", prompt="A kite")
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("answer", [ANSWERS["redirect loop"], ANSWERS["body that does not decode"]])
def test_a_hostile_answer_to_a_download_is_unavailable_and_leaves_no_file(answer, tmp_path):
    client, _, _ = make_client(answer)
    with pytest.raises(pixapi.Unavailable):
        client.download("https://cdn/v.mp4", tmp_path / "v.mp4")
    assert not (tmp_path / "v.mp4").exists()


def test_a_download_that_trickles_stops_at_its_deadline(tmp_path):
    class Trickle(httpx.SyncByteStream):
        def __iter__(self):
            for _ in range(1000):
                time.sleep(0.05)
                yield b"a" * 10

    client, _, _ = make_client(lambda r: httpx.Response(200, stream=Trickle()))
    started = time.monotonic()
    with pytest.raises(pixapi.Unavailable) as info:
        client.download("https://cdn/v.mp4", tmp_path / "v.mp4", seconds=0.3)
    assert time.monotonic() - started < 2
    assert "longer than 0.3 s" in info.value.message
    assert not (tmp_path / "v.mp4").exists()


def test_a_result_url_that_is_not_a_url_is_an_error(tmp_path):
    client, recorder, _ = make_client(ok({}))
    with pytest.raises(pixapi.PixapiError):
        client.download("http://[not-a-host/v.mp4", tmp_path / "v.mp4")
    assert recorder.requests == []
